"""Small images in the formats decode-node.test.ts must read, made with Pillow (Debian python3-pil 9.4.0).

Pixel (x, y) of the RGB source is ((x * 8) % 256, (y * 10) % 256, ((x + y) * 5) % 256) on a 32×24 grid.
For JPEGs, Pillow's own decoding (libjpeg) is stored as <name>.pil.rgb so the test can measure the
difference between decoders.
"""
from PIL import Image

W, H = 32, 24
src = Image.new("RGB", (W, H))
src.putdata([((x * 8) % 256, (y * 10) % 256, ((x + y) * 5) % 256) for y in range(H) for x in range(W)])

src.save("rgb.png")
src.convert("L").save("gray.png")
src.convert("LA").save("gray-alpha.png")
rgba = src.convert("RGBA"); rgba.putalpha(Image.new("L", (W, H), 77)); rgba.save("rgba.png")
src.convert("P", palette=Image.ADAPTIVE, colors=16).save("palette.png")
# 16-bit grey holding v·257, so that scaling back to 8 bits gives gray.png exactly
src.convert("L").convert("I").point(lambda v: v * 257).save("gray16.png")
# rgb.jpg has Pillow's default 4:2:0 chroma subsampling; rgb444.jpg has none
for name, im, sub in [("rgb.jpg", src, -1), ("rgb444.jpg", src, 0), ("gray.jpg", src.convert("L"), -1),
                      ("cmyk.jpg", src.convert("CMYK"), -1)]:
    im.save(name, quality=95, subsampling=sub)
    with open(name.replace(".jpg", ".jpg.pil.rgb"), "wb") as f:
        f.write(Image.open(name).convert("RGB").tobytes())
for name in ["gray.png", "gray-alpha.png", "rgba.png", "palette.png"]:
    with open(name + ".pil.rgb", "wb") as f:
        f.write(Image.open(name).convert("RGB").tobytes())
