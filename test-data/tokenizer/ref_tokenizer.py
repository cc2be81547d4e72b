# Independent reference for tokenizer.test.ts: OpenAI simple_tokenizer.py semantics, written
# separately in Python (python3-regex, html.unescape), without ftfy (the test strings do not need it).
# Usage: echo '["text", ...]' | python3 ref_tokenizer.py bpe_simple_vocab_16e6.txt
import html, json, sys, regex as re
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
merges = [tuple(l.split()) for l in lines[1:49152 - 256 - 2 + 1]]
bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
cs = bs[:]
n = 0
for b in range(256):
    if b not in bs:
        bs.append(b); cs.append(256 + n); n += 1
benc = dict(zip(bs, [chr(c) for c in cs]))
vocab = list(benc.values()); vocab = vocab + [v + '</w>' for v in vocab]
vocab += [''.join(m) for m in merges] + ['<|startoftext|>', '<|endoftext|>']
enc = {v: i for i, v in enumerate(vocab)}
ranks = {m: i for i, m in enumerate(merges)}
pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)
def bpe(tok):
    if tok in ('<|startoftext|>', '<|endoftext|>'): return [tok]
    word = list(tok[:-1]) + [tok[-1] + '</w>']
    while len(word) > 1:
        pairs = [(word[i], word[i+1]) for i in range(len(word)-1)]
        best = min(pairs, key=lambda p: ranks.get(p, float('inf')))
        if best not in ranks: break
        out, i = [], 0
        while i < len(word):
            if i < len(word)-1 and word[i] == best[0] and word[i+1] == best[1]:
                out.append(word[i] + word[i+1]); i += 2
            else:
                out.append(word[i]); i += 1
        word = out
    return word
def encode(text):
    text = html.unescape(html.unescape(text)).strip()
    text = re.sub(r'\s+', ' ', text).strip().lower()
    ids = []
    for t in re.findall(pat, text):
        t = ''.join(benc[b] for b in t.encode('utf-8'))
        ids += [enc[w] for w in bpe(t)]
    return ids
print(json.dumps({t: encode(t) for t in json.load(sys.stdin)}, ensure_ascii=False))
