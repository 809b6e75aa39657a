import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './process.ts';

/** One ```ts block of a page in docs/: a complete program a reader can save and run. */
export interface DocSample {
  /** `<page>-<n>`, n counting the page's ```ts blocks from 1. */
  name: string;
  code: string;
  /**
   * Uses decorator syntax, which Node's type stripping cannot run: a reader's project compiles it with
   * tsc (as the docs say), so the tests run tsc's output for it.
   */
  compiled: boolean;
}

const DECORATOR = /^\s*@[A-Za-z_$][\w$.]*\(/m;

/** Every ```ts block of docs/<page> (all pages when none is named), in order. */
export function docSamples(page?: string): DocSample[] {
  const pages = page
    ? [page]
    : readdirSync(join(REPO_ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .sort();
  return pages.flatMap((file) => {
    const text = readFileSync(join(REPO_ROOT, 'docs', file), 'utf8');
    return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m, i) => {
      const code = m[1] as string;
      return { name: `${file.replace(/\.md$/, '')}-${i + 1}`, code, compiled: DECORATOR.test(code) };
    });
  });
}

type ExportTarget = string | { 'ai-stack-source'?: string };
const EXPORTS = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { exports: Record<string, ExportTarget> }).exports;

/** The repository's TypeScript source behind `ai-stack/<subpath>` (the package's `ai-stack-source` condition). */
function sourceOf(subpath: string): string {
  const exact = EXPORTS[`./${subpath}`];
  const target = typeof exact === 'object' ? exact['ai-stack-source'] : undefined;
  const wildcard = EXPORTS['./*'];
  const pattern = typeof wildcard === 'object' ? wildcard['ai-stack-source'] : undefined;
  const relative = target ?? pattern?.replace('*', subpath);
  if (!relative) throw new Error(`package.json exports nothing for ai-stack/${subpath}`);
  return join(REPO_ROOT, relative);
}

/** A sample's `from 'ai-stack/…'` imports pointed at the repository's sources, to run it without packing. */
export function withSourceImports(code: string): string {
  return code.replace(/(from\s+)'ai-stack\/([\w/-]+)'/g, (_, from: string, subpath: string) => `${from}'${sourceOf(subpath)}'`);
}
