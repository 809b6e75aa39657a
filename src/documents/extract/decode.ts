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

/**
 * Decodes text in whatever encoding it came in: a BOM wins, then valid UTF-8, then UTF-16 by its NUL
 * pattern, then chardet's guess (GB18030/GBK/Big5/Shift_JIS/…) decoded by iconv-lite.
 */
export function decodeText(bytes: Buffer): DecodedText {
  for (const [bom, encoding] of BOMS) {
    if (bytes.subarray(0, bom.length).equals(bom)) return { text: iconv.decode(bytes.subarray(bom.length), encoding), encoding };
  }
  const utf16 = utf16WithoutBom(bytes);
  if (utf16) return { text: iconv.decode(bytes, utf16), encoding: utf16 };
  try {
    return { text: utf8.decode(bytes), encoding: 'utf-8' };
  } catch {
    // not UTF-8: guess below
  }
  const sample = bytes.subarray(0, 256 * 1024);
  const candidates = [...new Set(chardet.analyse(sample).map((c) => normalise(c.name)))].filter((name) => iconv.encodingExists(name));
  // Chinese files are the common case here: prefer a CJK guess chardet ranked, before single-byte encodings.
  const cjk = candidates.filter((name) => ['gb18030', 'big5', 'shift_jis', 'euc-jp', 'euc-kr'].includes(name));
  // On short samples chardet may rank Big5 above GBK; bytes that are not valid in an encoding decode to
  // U+FFFD, so a CJK candidate that decodes cleanly beats one that does not.
  // Chinese encodings are tried first: Chinese is this system's common case, and EUC-JP/EUC-KR also read GBK bytes "cleanly".
  const ordered = [...cjk.filter((name) => name === 'gb18030' || name === 'big5'), ...cjk.filter((name) => name !== 'gb18030' && name !== 'big5')];
  const clean = ordered.find((name) => !iconv.decode(sample, name).includes('\uFFFD'));
  const preferred = clean ?? cjk[0] ?? candidates[0] ?? 'latin1';
  return { text: iconv.decode(bytes, preferred), encoding: preferred };
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
