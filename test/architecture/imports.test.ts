import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** Every relative import of every file under `folders`, as [importing file, imported file], both relative to the repository root. */
function importEdges(...folders: string[]): [string, string][] {
  const edges: [string, string][] = [];
  for (const file of folders.flatMap(sourceFiles)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      edges.push([file, relative(ROOT, resolve(ROOT, dirname(file), match[1] ?? ''))]);
    }
  }
  return edges;
}

/** Dependencies point one way (docs/DESIGN: a module's index.ts is its whole public face). */
describe('import direction', () => {
  const edges = importEdges('src', 'bench');

  it('other modules reach src/resources only through its index.ts', () => {
    const inward = edges.filter(([from, to]) => to.startsWith('src/resources/') && !from.startsWith('src/resources/'));
    expect(inward.length).toBeGreaterThan(0);
    expect(inward.filter(([, to]) => to !== 'src/resources/index.ts')).toEqual([]);
  });

  it('the batch writer does not depend on the demo-data generator', () => {
    expect(edges.filter(([from, to]) => from.startsWith('src/db/batch/') && to.startsWith('src/db/demo-data/'))).toEqual([]);
  });

  it('benchmarks do not import test code', () => {
    expect(edges.filter(([from, to]) => from.startsWith('bench/') && to.startsWith('test/'))).toEqual([]);
  });
});
