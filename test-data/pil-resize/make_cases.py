"""Reference outputs of Pillow's Image.resize(BICUBIC) for resize.test.ts.

Run with any Pillow >= 7 (made with Debian's python3-pil 9.4.0):  python3 make_cases.py > cases.json
Inputs are regenerated in the test from the same LCG, so only SHA-256 digests of outputs are stored.
"""
import hashlib, json
from PIL import Image

def lcg_image(w, h, seed):
    s, out = seed, bytearray(w * h * 3)
    for i in range(len(out)):
        s = (s * 1103515245 + 12345) % 2**31
        out[i] = (s >> 16) & 255
    # a smooth gradient in the left half so that both noise and smooth content are covered
    for y in range(h):
        for x in range(w // 2):
            for c in range(3):
                out[(y * w + x) * 3 + c] = (x * 7 + y * 3 + c * 60) % 256
    return Image.frombytes("RGB", (w, h), bytes(out))

cases = []
for (w, h, ow, oh, seed) in [
    (57, 41, 44, 32, 1), (57, 41, 311, 224, 2), (97, 61, 13, 9, 3), (40, 30, 40, 17, 4), (40, 30, 23, 30, 5),
    (5, 7, 1, 1, 6), (1, 1, 3, 2, 7), (300, 200, 224, 149, 8), (224, 224, 224, 224, 9), (33, 250, 7, 53, 10),
]:
    out = lcg_image(w, h, seed).resize((ow, oh), Image.BICUBIC)
    cases.append(dict(width=w, height=h, seed=seed, outWidth=ow, outHeight=oh,
                      sha256=hashlib.sha256(out.tobytes()).hexdigest(), first=list(out.tobytes()[:12])))
print(json.dumps(dict(pillow=Image.__version__ if hasattr(Image, "__version__") else "", cases=cases), indent=1))
