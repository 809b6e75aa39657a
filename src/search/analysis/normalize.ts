import { openccConverter } from '../../shared/opencc.ts';

/**
 * Text in the analysis pipeline's normalized form, with a map back to the original: every UTF-16 unit of
 * `text` knows the span of the original it came from, so a token found in normalized, simplified text is
 * highlighted on the user's own characters (full-width, traditional, ligatures and all).
 */
export interface NormalizedText {
  text: string;
  /** For each unit of `text`: start offset in the original. */
  starts: Int32Array;
  /** For each unit of `text`: end offset (exclusive) in the original. */
  ends: Int32Array;
}

const CJK_RUN = /[\p{Script=Han}\u3005\u3007]+/gu;
const COMBINING = /^\p{M}$/u;

/** Phrase-level traditional → simplified (twp → cn: 滑鼠 → 鼠标, 資料庫 → 数据库), built on first use. */
const toSimplified = (text: string) => openccConverter('twp', 'cn')(text);
/** Character-level conversion: same length as its input, the bridge for aligning phrase conversions. */
const charsToSimplified = (text: string) => openccConverter('tw', 'cn')(text);
/** Longest Han run aligned by diff; longer runs (rare: Chinese prose has punctuation) map proportionally. */
const MAX_ALIGNED_RUN = 2_000;

/** Maps a span of normalized text back to the original text. */
export function originalSpan(n: NormalizedText, start: number, end: number): [number, number] {
  if (end <= start) return [n.starts[start] ?? 0, n.starts[start] ?? 0];
  return [n.starts[start] ?? 0, n.ends[end - 1] ?? 0];
}

/**
 * NFKC (which also folds full-width Latin and digits), lower case, then traditional → simplified for Han
 * runs. Each step keeps the offset map; a conversion that changes a run's length (記憶體 → 内存) maps the
 * converted characters proportionally onto the run, so a match inside it still marks that run.
 */
export function normalize(original: string): NormalizedText {
  // Fast path, the usual case: already NFKC and lower-casing keeps the length, so offsets are the identity.
  if (original.normalize('NFKC') === original) {
    const lower = original.toLowerCase();
    if (lower.length === original.length) {
      const starts = new Int32Array(lower.length);
      const ends = new Int32Array(lower.length);
      for (let k = 0; k < lower.length; k++) {
        starts[k] = k;
        ends[k] = k + 1;
      }
      return simplify({ text: lower, starts, ends });
    }
  }
  const units: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  let i = 0;
  while (i < original.length) {
    const cp = original.codePointAt(i) as number;
    let end = i + (cp > 0xffff ? 2 : 1);
    // A base character and its combining marks normalise together (e + ◌́ → é).
    while (end < original.length && COMBINING.test(String.fromCodePoint(original.codePointAt(end) as number)))
      end += (original.codePointAt(end) as number) > 0xffff ? 2 : 1;
    const folded = original.slice(i, end).normalize('NFKC').toLowerCase();
    for (let k = 0; k < folded.length; k++) {
      units.push(folded[k] as string);
      starts.push(i);
      ends.push(end);
    }
    i = end;
  }
  const folded = units.join('');
  return simplify({ text: folded, starts: Int32Array.from(starts), ends: Int32Array.from(ends) });
}

function simplify(n: NormalizedText): NormalizedText {
  // One conversion of the whole text; only when it changed the length are runs converted and aligned apart.
  const whole = toSimplified(n.text).toLowerCase();
  if (whole.length === n.text.length) return { text: whole, starts: n.starts, ends: n.ends };
  const parts: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  let last = 0;
  const keep = (from: number, to: number): void => {
    parts.push(n.text.slice(from, to));
    for (let k = from; k < to; k++) {
      starts.push(n.starts[k] as number);
      ends.push(n.ends[k] as number);
    }
  };
  for (const match of n.text.matchAll(CJK_RUN)) {
    const from = match.index;
    const to = from + match[0].length;
    keep(last, from);
    // Lower-cased again: a conversion may bring Latin letters (隨身碟 → U盘).
    const converted = toSimplified(match[0]).toLowerCase();
    if (converted.length === match[0].length) {
      parts.push(converted);
      for (let k = from; k < to; k++) {
        starts.push(n.starts[k] as number);
        ends.push(n.ends[k] as number);
      }
    } else {
      parts.push(converted);
      for (const [a, b] of alignRun(match[0], converted)) {
        starts.push(n.starts[from + a] as number);
        ends.push(n.ends[from + b - 1] as number);
      }
    }
    last = to;
  }
  keep(last, n.text.length);
  return { text: parts.join(''), starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}

/**
 * For each character of a phrase conversion whose length differs from its input (記憶體不足 → 内存不足), the
 * span [a, b) of the input it came from. The character-level conversion (same length as the input) is
 * diffed against the phrase conversion: equal characters map one to one, and each replaced stretch
 * (记忆体 → 内存) maps onto the input stretch it replaced.
 */
export function alignRun(input: string, converted: string): Array<[number, number]> {
  const bridge = charsToSimplified(input);
  if (bridge.length !== input.length || input.length > MAX_ALIGNED_RUN || converted.length > MAX_ALIGNED_RUN)
    return proportional(input.length, converted.length);
  const n = bridge.length;
  const m = converted.length;
  // lcs[i][j]: longest common subsequence of bridge[i:] and converted[j:].
  const lcs = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = bridge[i] === converted[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const spans: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  let gapI = 0;
  let gapJ = 0;
  const closeGap = (): void => {
    const width = j - gapJ;
    if (width === 0) return;
    const inputs = i - gapI;
    for (let k = 0; k < width; k++) {
      if (inputs === 0) {
        const at = Math.max(0, gapI - 1);
        spans.push([at, at + 1]);
        continue;
      }
      const a = gapI + Math.floor((k * inputs) / width);
      const b = gapI + Math.max(Math.ceil(((k + 1) * inputs) / width), a - gapI + 1);
      spans.push([a, Math.min(b, i)]);
    }
  };
  while (i < n && j < m) {
    if (bridge[i] === converted[j]) {
      closeGap();
      spans.push([i, i + 1]);
      i++;
      j++;
      gapI = i;
      gapJ = j;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      i++;
    } else {
      j++;
    }
  }
  i = n;
  j = m;
  closeGap();
  return spans;
}

function proportional(inputLength: number, outputLength: number): Array<[number, number]> {
  return Array.from({ length: outputLength }, (_, k) => {
    const a = Math.floor((k * inputLength) / outputLength);
    return [a, Math.max(a + 1, Math.floor(((k + 1) * inputLength) / outputLength))] as [number, number];
  });
}
