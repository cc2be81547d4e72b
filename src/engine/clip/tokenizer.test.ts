import { describe, expect, it } from 'vitest';
import { openAsBlob } from 'node:fs';
import { cleanText, ClipTokenizer, clipTokenizer, END_TOKEN, START_TOKEN, tokenize, TokenizerError } from './tokenizer.ts';
import { loadSafetensors } from './safetensors.ts';

const row = (ids: ArrayLike<number>, r: number, n = 77) => Array.from(ids as Int32Array).slice(r * n, (r + 1) * n);
const body = (text: string) => clipTokenizer().encode(text);

describe('tokenize', () => {
  it('"a photo of a cat." gives the CLIP ids', () => {
    const { ids, eot } = tokenize(['a photo of a cat.']);
    expect(ids.dtype).toBe('int32');
    expect(ids.shape).toEqual([1, 77]);
    expect(row(ids.data as Int32Array, 0).slice(0, 9)).toEqual([49406, 320, 1125, 539, 320, 2368, 269, 49407, 0]);
    expect(
      row(ids.data as Int32Array, 0)
        .slice(8)
        .every((v) => v === 0),
    ).toBe(true);
    expect(eot).toEqual([7]);
  });

  // Expected ids from test-data/tokenizer/ref_tokenizer.py, a separate Python implementation of
  // OpenAI's simple_tokenizer (python3-regex for \p{L}/\p{N}, html.unescape) over the same vocabulary.
  const reference: Record<string, number[]> = {
    'Café crème brûlée': [15304, 1075, 12138, 614, 711, 127, 119, 75, 13489],
    'naïve Zoë Ångström': [1097, 35689, 563, 4397, 40520, 23176, 10352, 807, 7255, 332],
    '🐈 cat 😀!!': [2074, 486, 2368, 12832, 748],
    東京タワー: [48338, 21078, 105, 34941, 2429, 107, 30391],
    'Привет мир': [26302, 16370, 29503, 110, 22176, 141, 480, 38018, 16701, 141, 478],
    'a  photo\n\tof  A CAT ': [320, 1125, 539, 320, 2368],
    'it&#39;s &amp; isn&apos;t': [585, 568, 261, 2923, 713],
    "don't we'll 3.14159 2024": [847, 713, 649, 1342, 274, 269, 272, 275, 272, 276, 280, 273, 271, 273, 275],
    'C++ / C# -> x_y': [322, 19056, 270, 322, 258, 5081, 343, 318, 344],
    '<|endoftext|> hi': [49407, 1883],
    '١٢٣ arabic digits': [149, 350, 149, 351, 149, 352, 16709, 31710],
  };
  it.each(Object.entries(reference))('%j matches the Python reference', (text, want) => {
    expect(body(text)).toEqual(want);
  });

  it('is case-insensitive and whitespace-insensitive', () => {
    expect(body('A PHOTO of a Cat.')).toEqual(body('a photo of a cat.'));
    expect(body('  a\u00a0photo \n of a cat .  ')).toEqual(body('a photo of a cat.'));
  });

  it('splits punctuation from words', () => {
    expect(body('cat,dog;bird')).toEqual([...body('cat'), ...body(','), ...body('dog'), ...body(';'), ...body('bird')]);
  });

  it('cleans like ftfy for quotes, ligatures and full-width forms', () => {
    expect(cleanText('Don\u2019t \u201cSTOP\u201d')).toBe('don\'t "stop"');
    expect(cleanText('\ufb01sh \uff21\uff22\uff23\u3000x')).toBe('fish abc x');
    expect(cleanText('e\u0301')).toBe('\u00e9');
    expect(body('don\u2019t')).toEqual(body("don't"));
  });

  it('round-trips unicode through decode', () => {
    const tok = clipTokenizer();
    for (const text of ['café crème', 'zoë 🐈‍⬛ 😀', '東京タワー', 'x y']) {
      expect(tok.decode(tok.encode(text)).replace(/ /g, '')).toBe(cleanText(text).replace(/ /g, ''));
    }
    expect(tok.decode(tokenize(['a photo of a cat.']).ids.data as Int32Array)).toBe('a photo of a cat .');
  });

  it('truncates long texts so that the end token is the last position', () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    const { ids, eot } = tokenize([long, 'short']);
    const r = row(ids.data as Int32Array, 0);
    expect(r[0]).toBe(START_TOKEN);
    expect(r[76]).toBe(END_TOKEN);
    expect(r.slice(1, 76)).toEqual(body(long).slice(0, 75));
    expect(eot).toEqual([76, 2]);
  });

  it('handles other context lengths and empty text', () => {
    const { ids, eot } = tokenize(['', 'a photo of a cat.'], 5);
    expect(ids.shape).toEqual([2, 5]);
    expect(Array.from(ids.data as Int32Array)).toEqual([START_TOKEN, END_TOKEN, 0, 0, 0, START_TOKEN, 320, 1125, 539, END_TOKEN]);
    expect(eot).toEqual([1, 4]);
    expect(() => tokenize(['x'], 1)).toThrow(/contextLength must be an integer ≥ 2/);
  });

  // The six prompts of clip-tiny-a's io.safetensors follow from its ids up to case and spacing,
  // which tokenization ignores (checked above), so they are not guesses.
  it('reproduces clip-tiny-a io.safetensors input_ids', async () => {
    const io = (await loadSafetensors(await openAsBlob('test-data/fixtures/clip-tiny-a/io.safetensors'), ['input_ids'])).get('input_ids')!;
    const prompts = [
      'a photo of a cat.',
      'a photo of a T-shirt/top.',
      'a photo of a Trouser.',
      'a photo of a Ankle boot.',
      'an origami of a golden retriever!',
      'a photo of a Coat.',
    ];
    expect(io.shape).toEqual([prompts.length, 77]);
    expect(tokenize(prompts).ids.data).toEqual(io.data);
  });
});

describe('ClipTokenizer.fromHubFiles', () => {
  it('gives the same ids as the bundled vocabulary from Hub-format files', () => {
    const bundled = clipTokenizer();
    // rebuild vocab.json / merges.txt in the Hub's format from the bundled tables
    const vocab = (bundled as unknown as { vocab: Map<string, number> }).vocab;
    const ranks = (bundled as unknown as { ranks: Map<string, number> }).ranks;
    const merges = [...ranks].sort((a, b) => a[1] - b[1]).map(([k]) => k.replace('\n', ' '));
    const hub = ClipTokenizer.fromHubFiles(JSON.stringify(Object.fromEntries(vocab)), `#version: 0.2\n${merges.join('\n')}\n`);
    for (const text of ['a photo of a cat.', 'naïve Zoë 🐈', 'C++ / C# -> x_y']) expect(hub.encode(text)).toEqual(bundled.encode(text));
  });

  it('rejects files that are not a CLIP vocabulary', () => {
    expect(() => ClipTokenizer.fromHubFiles('{"a": 0', '')).toThrow(/vocab.json is not valid JSON/);
    expect(() => ClipTokenizer.fromHubFiles('{"a": "x"}', '')).toThrow(/integer ids/);
    expect(() => ClipTokenizer.fromHubFiles('{"a": 0}', '')).toThrow(TokenizerError);
    expect(() => ClipTokenizer.fromHubFiles('{"a": 0}', '')).toThrow(/maps <\|startoftext\|> to undefined/);
    const ok = JSON.stringify({ '<|startoftext|>': 49406, '<|endoftext|>': 49407 });
    expect(() => ClipTokenizer.fromHubFiles(ok, '#version: 0.2\na b c\n')).toThrow(/merges.txt line 2 is not a pair/);
  });
});
