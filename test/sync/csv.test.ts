import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/sync/csv.ts';

describe('CSV of an external source', () => {
  it('reads quoted cells with commas, quotes and line breaks, CRLF or LF, and skips a BOM', () => {
    const text = '\uFEFFcode,name,note\r\nA,"Müller, Hans","said ""hi""\r\nthen left"\nB,张三,\r\n';
    expect(parseCsv(text)).toEqual([
      { code: 'A', name: 'Müller, Hans', note: 'said "hi"\r\nthen left' },
      { code: 'B', name: '张三' },
    ]);
  });

  it('names surplus cells so the schema reports them, and refuses a broken header or an unterminated quote', () => {
    expect(parseCsv('a,b\n1,2,3\n')).toEqual([{ a: '1', b: '2', column_3: '3' }]);
    expect(() => parseCsv('a,a\n1,2\n')).toThrow(/repeated column name "a"/);
    expect(() => parseCsv('a,,c\n1,2,3\n')).toThrow(/empty or repeated column name ""/);
    expect(() => parseCsv('a\n"never closed\n')).toThrow(/ends inside a quoted field/);
    expect(parseCsv('')).toEqual([]);
  });
});
