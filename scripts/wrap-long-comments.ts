// Wraps comments that run past the line limit, which Prettier leaves alone: `// …` lines, lines of `/* … */`
// and `/** … */` blocks, and a `// …` after code (moved above the code). Comments are found by the TypeScript
// parser, never by pattern, so `//` inside strings, regexes and URLs is safe; each rewritten file is parsed
// again and kept only if its tokens are unchanged. Prints what it could not wrap (a single word longer than
// the limit, a directive, a line inside a fenced example) for a person to decide; exits 1 if any remain.
//
//   node scripts/wrap-long-comments.ts [--check] [--width 160] [files…]   (default: git ls-files '*.ts' '*.tsx' '*.js')
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';

const args = process.argv.slice(2);
const check = args.includes('--check');
const widthAt = args.indexOf('--width');
const WIDTH = widthAt >= 0 ? Number(args[widthAt + 1]) : 160;
const named = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--width');
const files = named.length > 0 ? named : execFileSync('git', ['ls-files', '*.ts', '*.tsx', '*.js'], { encoding: 'utf8' }).split('\n').filter(Boolean);

const isJsDoc = (node: ts.Node) => node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode;

/** Comment ranges (by start offset) of a file, from the parser's view of its tokens. */
function commentRanges(source: ts.SourceFile): Map<number, ts.CommentRange> {
  const found = new Map<number, ts.CommentRange>();
  const text = source.text;
  const add = (ranges: ts.CommentRange[] | undefined) => ranges?.forEach((r) => found.set(r.pos, r));
  const visit = (node: ts.Node) => {
    if (isJsDoc(node)) return;
    add(ts.getLeadingCommentRanges(text, node.getFullStart()));
    add(ts.getTrailingCommentRanges(text, node.getEnd()));
    node.getChildren(source).forEach(visit);
  };
  visit(source);
  return found;
}

function tokens(name: string, text: string): string[] {
  const source = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true, name.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (isJsDoc(node)) return;
    const children = node.getChildren(source);
    if (children.length === 0) out.push(`${node.kind}:${node.getText(source)}`);
    children.forEach(visit);
  };
  visit(source);
  return out;
}

/** Greedy word wrap of `words` into lines of at most WIDTH characters, each starting with `lead`. */
function wrap(lead: string, words: string[]): string[] {
  const lines: string[] = [];
  let line = lead;
  for (const word of words) {
    if (line !== lead && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = lead;
    }
    line = line === lead ? `${lead}${word}` : `${line} ${word}`;
  }
  if (line !== lead) lines.push(line);
  return lines;
}

const DIRECTIVE = /^\s*(\/\/|\/\*)\s*(eslint|@ts-|prettier-ignore|istanbul|c8|v8 ignore|#region|#endregion)/;
const leftover: string[] = [];
let changedFiles = 0;

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (!lines.some((l) => l.length > WIDTH)) continue;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const comments = [...commentRanges(source).values()];
  const lineStarts = source.getLineStarts();
  const out: string[] = [];
  let inFence = false;
  for (const [i, line] of lines.entries()) {
    const start = lineStarts[i] ?? 0;
    const end = start + line.length;
    const comment = comments.find((c) => c.pos < end && c.end > start);
    if (comment && comment.kind === ts.SyntaxKind.MultiLineCommentTrivia && /^\s*\*?\s*```/.test(line)) inFence = !inFence;
    if (line.length <= WIDTH || !comment || DIRECTIVE.test(line.slice(Math.max(0, comment.pos - start)))) {
      if (line.length > WIDTH && comment) leftover.push(`${file}:${i + 1}: a directive`);
      out.push(line);
      continue;
    }
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    const at = Math.max(0, comment.pos - start);
    let replacement: string[] | undefined;
    if (comment.kind === ts.SyntaxKind.SingleLineCommentTrivia) {
      const body = line.slice(at).replace(/^\/\/+\s?/, '');
      const code = line.slice(0, at).trimEnd();
      // A trailing comment goes above its code, at the code's indentation.
      replacement = [...wrap(`${indent}// `, body.split(/\s+/).filter(Boolean)), ...(code.trim() ? [code] : [])];
    } else if (!inFence && comment.pos >= start && comment.end <= end && line.slice(0, at).trim() === '') {
      // `/** one line */` becomes a block of ` * ` lines.
      const raw = line.slice(at, at + (comment.end - comment.pos));
      const opener = raw.startsWith('/**') ? '/**' : '/*';
      const words = raw.slice(opener.length, -2).trim().split(/\s+/).filter(Boolean);
      if (line.slice(at + raw.length).trim() === '') replacement = [`${indent}${opener}`, ...wrap(`${indent} * `, words), `${indent} */`];
    } else if (!inFence && /^\s*\* /.test(line)) {
      // A line inside a block comment keeps its ` * ` lead.
      const lead = /^\s*\* /.exec(line)?.[0] ?? '';
      replacement = wrap(lead, line.slice(lead.length).split(/\s+/).filter(Boolean));
    }
    if (!replacement || replacement.some((l) => l.length > WIDTH)) {
      leftover.push(
        `${file}:${i + 1}: ${replacement ? 'a word longer than the limit' : inFence ? 'inside a fenced example' : 'code and a block comment on one line'}`,
      );
    }
    out.push(...(replacement ?? [line]));
  }
  const next = out.join('\n');
  if (next === text) continue;
  if (tokens(file, next).join('\n') !== tokens(file, text).join('\n')) {
    leftover.push(`${file}: left as is (wrapping would change its code)`);
    continue;
  }
  changedFiles++;
  if (check) leftover.push(`${file}: has comments to wrap`);
  else writeFileSync(file, next);
}

if (!check) console.log(`wrapped comments in ${changedFiles} file(s)`);
for (const l of leftover) console.log(l);
process.exitCode = leftover.length > 0 ? 1 : 0;
