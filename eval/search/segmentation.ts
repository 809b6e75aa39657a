/**
 * Word-segmentation F1 of the search analyser on Universal Dependencies Chinese GSD (simplified and
 * traditional), gold words against ours, compared as character spans of the original sentence.
 *   node eval/search/segmentation.ts [--split dev|test]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { Analyzer } from '../../src/search/index.ts';

export interface Scores {
  precision: number;
  recall: number;
  f1: number;
  sentences: number;
}

const DATA = join(import.meta.dirname, 'ud');

export function readGold(file: string): string[][] {
  return readFileSync(join(DATA, file), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split(' '));
}

const spanKey = (start: number, end: number): string => `${start}:${end}`;

/** Spans of a segmentation given as its words, in order over the sentence. */
function spansOf(words: readonly string[]): Set<string> {
  const spans = new Set<string>();
  let at = 0;
  for (const word of words) {
    spans.add(spanKey(at, at + word.length));
    at += word.length;
  }
  return spans;
}

/**
 * Our segmentation of a sentence as spans: the analyser's tokens (query mode, no sub-words), and for
 * what it leaves out (punctuation, English stop words) a letter/digit run as one word, anything else one
 * character each — how UD tokenises punctuation.
 */
export function analyserSpans(analyzer: Analyzer, sentence: string): Set<string> {
  const spans = new Set<string>();
  const covered = new Uint8Array(sentence.length);
  for (const token of analyzer.analyze(sentence, 'query')) {
    spans.add(spanKey(token.start, token.end));
    covered.fill(1, token.start, token.end);
  }
  for (let i = 0; i < sentence.length;) {
    if (covered[i] || /\s/u.test(sentence[i] as string)) {
      i++;
      continue;
    }
    let end = i + 1;
    if (/[\p{L}\p{N}]/u.test(sentence[i] as string)) while (end < sentence.length && !covered[end] && /[\p{L}\p{N}]/u.test(sentence[end] as string)) end++;
    spans.add(spanKey(i, end));
    i = end;
  }
  return spans;
}

export function score(gold: readonly string[][], segment: (sentence: string) => Set<string>): Scores {
  let correct = 0;
  let predicted = 0;
  let expected = 0;
  for (const words of gold) {
    const truth = spansOf(words);
    const ours = segment(words.join(''));
    for (const span of ours) if (truth.has(span)) correct++;
    predicted += ours.size;
    expected += truth.size;
  }
  const precision = correct / predicted;
  const recall = correct / expected;
  return { precision, recall, f1: (2 * precision * recall) / (precision + recall), sentences: gold.length };
}

export function segmentationTable(split: 'dev' | 'test'): Array<{ system: string; set: string } & Scores> {
  const analyzer = new Analyzer();
  const jieba = Jieba.withDict(dict);
  const rows: Array<{ system: string; set: string } & Scores> = [];
  for (const [set, file] of [
    ['GSDSimp (simplified)', `gsdsimp-${split}.txt`],
    ['GSD (traditional)', `gsd-${split}.txt`],
  ] as const) {
    const gold = readGold(file);
    rows.push({ system: 'jieba cut alone (baseline)', set, ...score(gold, (s) => spansOf(jieba.cut(s, true))) });
    rows.push({ system: 'ai-stack analyser', set, ...score(gold, (s) => analyserSpans(analyzer, s)) });
  }
  return rows;
}
