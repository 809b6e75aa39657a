import { normalize, type Analyzer } from './analysis/index.ts';
import type { QueryPlan } from './query/plan.ts';
import type { Highlight } from './types.ts';

const SNIPPET_LENGTH = 160;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/**
 * Spans of `text` (original offsets) that the plan matches: analysed tokens equal to a query term or
 * starting with a query prefix, and every occurrence of the query's CJK strings. Where spans overlap the
 * longest wins (农业发展银行 over its sub-word 农业), so marks never nest or cut a word.
 */
export function matchSpans(analyzer: Analyzer, plan: QueryPlan, text: string): Array<[number, number]> {
  const candidates: Array<[number, number]> = [];
  const normalized = normalize(text);
  const needles = [...plan.highlightTerms, ...plan.highlightPrefixes];
  // A word's tokens are all parts of it: one that contains no query term or prefix cannot be marked.
  const splits = (word: string) => needles.some((needle) => word.includes(needle));
  for (const token of analyzer.analyze(normalized, 'index', splits)) {
    if (plan.highlightTerms.has(token.term) || plan.highlightPrefixes.some((p) => token.term.startsWith(p))) candidates.push([token.start, token.end]);
  }
  if (plan.highlightStrings.length > 0) {
    for (const needle of plan.highlightStrings) {
      for (let at = normalized.text.indexOf(needle); at !== -1; at = normalized.text.indexOf(needle, at + 1)) {
        candidates.push([normalized.starts[at] ?? 0, normalized.ends[at + needle.length - 1] ?? 0]);
      }
    }
  }
  candidates.sort((a, b) => b[1] - b[0] - (a[1] - a[0]) || a[0] - b[0]);
  const kept: Array<[number, number]> = [];
  for (const span of candidates) if (!kept.some(([s, e]) => span[0] < e && s < span[1])) kept.push(span);
  kept.sort((a, b) => a[0] - b[0]);
  // Touching marks become one (农业|发展|银行 → 农业发展银行): one highlighted word, not three.
  const merged: Array<[number, number]> = [];
  for (const span of kept) {
    const last = merged.at(-1);
    if (last && last[1] === span[0]) last[1] = span[1];
    else merged.push([span[0], span[1]]);
  }
  return merged;
}

/** `text` HTML-escaped with `<mark>` around each span. */
export function markup(text: string, spans: ReadonlyArray<[number, number]>, from = 0, to = text.length): string {
  let out = '';
  let at = from;
  for (const [start, end] of spans) {
    if (end <= from || start >= to) continue;
    const s = Math.max(start, from);
    const e = Math.min(end, to);
    out += `${escapeHtml(text.slice(at, s))}<mark>${escapeHtml(text.slice(s, e))}</mark>`;
    at = e;
  }
  return out + escapeHtml(text.slice(at, to));
}

/** A snippet of about 160 characters around the window with the most marks, never cutting a mark. */
export function highlight(analyzer: Analyzer, plan: QueryPlan, text: string): Highlight {
  const spans = matchSpans(analyzer, plan, text);
  if (text.length <= SNIPPET_LENGTH) return { snippet: markup(text, spans), spans };
  let best = 0;
  let bestCount = -1;
  for (let k = 0; k < spans.length; k++) {
    const start = spans[k]?.[0] ?? 0;
    const count = spans.filter(([s, e]) => s >= start && e <= start + SNIPPET_LENGTH).length;
    if (count > bestCount) {
      bestCount = count;
      best = start;
    }
  }
  let from = Math.max(0, best - SNIPPET_LENGTH / 4);
  let to = Math.min(text.length, from + SNIPPET_LENGTH);
  for (const [s, e] of spans) {
    if (s < from && e > from) from = s;
    if (s < to && e > to) to = e;
  }
  return { snippet: `${from > 0 ? '…' : ''}${markup(text, spans, from, to)}${to < text.length ? '…' : ''}`, spans };
}
