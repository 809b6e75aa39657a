import { isUtf8 as isValidUtf8 } from 'node:buffer';
import chardet from 'chardet';
import iconv from 'iconv-lite';

export interface DecodedText {
  text: string;
  encoding: string;
}

const BOMS: [Buffer, string][] = [
  [Buffer.from([0xef, 0xbb, 0xbf]), 'utf-8'],
  [Buffer.from([0xff, 0xfe]), 'utf-16le'],
  [Buffer.from([0xfe, 0xff]), 'utf-16be'],
  [Buffer.from([0x84, 0x31, 0x95, 0x33]), 'gb18030'],
];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** chardet's names → what iconv-lite decodes; GB2312/GBK are subsets of GB18030, so GB18030 reads all three. */
function normalise(name: string): string {
  const lower = name.toLowerCase();
  if (lower === 'gb2312' || lower === 'gbk' || lower === 'gb18030') return 'gb18030';
  return lower;
}

/** UTF-16 without a BOM: every other byte is NUL for ASCII-heavy text. */
function utf16WithoutBom(bytes: Buffer): string | undefined {
  const sample = bytes.subarray(0, 4096);
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < sample.length; i++) {
    if (sample[i] !== 0) continue;
    if (i % 2 === 0) evenNul++;
    else oddNul++;
  }
  const half = sample.length / 2;
  if (oddNul > half * 0.3 && evenNul < half * 0.05) return 'utf-16le';
  if (evenNul > half * 0.3 && oddNul < half * 0.05) return 'utf-16be';
  return undefined;
}

/** The encoding of some text and how many BOM bytes precede it. */
export interface TextEncodingGuess {
  encoding: string;
  bomBytes: number;
}

/** Whether `bytes` is UTF-8, allowing a sequence cut off at the end when `complete` is false (a sample of a longer file). */
function isUtf8(bytes: Buffer, complete: boolean): boolean {
  // Node's validator (no string made, unlike a fatal TextDecoder); without the last bytes, a multi-byte character
  // may straddle the end of the sample.
  for (let cut = 0; cut <= (complete ? 0 : Math.min(3, bytes.length)); cut++) if (isValidUtf8(bytes.subarray(0, bytes.length - cut))) return true;
  return false;
}

/**
 * The encoding of text from its bytes (`complete`) or its first bytes (a sample): a BOM wins, then valid
 * UTF-8, then UTF-16 by its NUL pattern, then chardet's guess (GB18030/GBK/Big5/Shift_JIS/…) that iconv-lite
 * decodes. On a sample, "valid UTF-8" is known for the sample only: later bytes that are not decode to U+FFFD.
 */
export function guessEncoding(bytes: Buffer, complete = true): TextEncodingGuess {
  for (const [bom, encoding] of BOMS) {
    if (bytes.subarray(0, bom.length).equals(bom)) return { encoding, bomBytes: bom.length };
  }
  const utf16 = utf16WithoutBom(bytes);
  if (utf16) return { encoding: utf16, bomBytes: 0 };
  if (isUtf8(bytes, complete)) return { encoding: 'utf-8', bomBytes: 0 };
  const sample = bytes.subarray(0, 256 * 1024);
  const candidates = [...new Set(chardet.analyse(sample).map((c) => normalise(c.name)))].filter((name) => iconv.encodingExists(name));
  // Chinese files are the common case here: prefer a CJK guess chardet ranked, before single-byte encodings.
  const cjk = candidates.filter((name) => ['gb18030', 'big5', 'shift_jis', 'euc-jp', 'euc-kr'].includes(name));
  // On short samples chardet may rank Big5 above GBK; bytes that are not valid in an encoding decode to
  // U+FFFD, so a CJK candidate that decodes cleanly beats one that does not.
  // Chinese encodings are tried first: Chinese is this system's common case, and EUC-JP/EUC-KR also read GBK bytes "cleanly".
  const ordered = [...cjk.filter((name) => name === 'gb18030' || name === 'big5'), ...cjk.filter((name) => name !== 'gb18030' && name !== 'big5')];
  const clean = ordered.find((name) => !iconv.decode(sample, name).includes('\uFFFD'));
  return { encoding: clean ?? cjk[0] ?? candidates[0] ?? 'latin1', bomBytes: 0 };
}

/** Decodes text in whatever encoding it came in (see guessEncoding). */
export function decodeText(bytes: Buffer): DecodedText {
  const { encoding, bomBytes } = guessEncoding(bytes);
  if (encoding === 'utf-8' && bomBytes === 0) return { text: utf8.decode(bytes), encoding };
  return { text: iconv.decode(bytes.subarray(bomBytes), encoding, { stripBOM: false }), encoding };
}

/** The longest line kept whole; a longer one (a file without line breaks) is cut into lines of this size. */
const MAX_LINE_CHARS = 1024 * 1024;

/**
 * The lines of a text stream, decoded as it arrives (in the encoding guessed from its first bytes):
 * memory holds one line and one read, never the file.
 */
export async function* decodeLines(stream: AsyncIterable<Buffer | string>, { encoding, bomBytes }: TextEncodingGuess): AsyncGenerator<string> {
  const decoder = iconv.getDecoder(encoding, { stripBOM: false });
  let skip = bomBytes;
  let rest = '';
  function* split(text: string, final: boolean): Generator<string> {
    rest += text;
    let from = 0;
    for (;;) {
      const match = /\r\n|\r|\n/g;
      match.lastIndex = from;
      const found = match.exec(rest);
      // A lone \r at the end may be the first half of \r\n: wait for the next read.
      if (!found || (found[0] === '\r' && found.index === rest.length - 1 && !final)) break;
      yield rest.slice(from, found.index);
      from = found.index + found[0].length;
    }
    rest = rest.slice(from);
    while (rest.length > MAX_LINE_CHARS) {
      yield rest.slice(0, MAX_LINE_CHARS);
      rest = rest.slice(MAX_LINE_CHARS);
    }
    if (final && rest !== '') yield rest;
  }
  for await (const part of stream) {
    let bytes = typeof part === 'string' ? Buffer.from(part) : part;
    if (skip > 0) {
      const dropped = Math.min(skip, bytes.length);
      bytes = bytes.subarray(dropped);
      skip -= dropped;
    }
    yield* split(decoder.write(bytes), false);
  }
  yield* split(decoder.end() ?? '', true);
}

/** True when the bytes look like text (no NULs outside a UTF-16 pattern, few control characters). */
export function looksLikeText(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 8192);
  if (sample.length === 0) return false;
  if (BOMS.some(([bom]) => sample.subarray(0, bom.length).equals(bom)) || utf16WithoutBom(sample)) return true;
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) return false;
    if (byte < 9 || (byte > 13 && byte < 32 && byte !== 27)) control++;
  }
  return control / sample.length < 0.02;
}
