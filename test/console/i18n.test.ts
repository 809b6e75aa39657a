import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../../web/src/i18n/en.ts';
import { zhCN } from '../../web/src/i18n/zh-CN.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'i18n' ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe('console translations', () => {
  it('translates every English key into zh-CN, with the same placeholders and no copied English', () => {
    const untranslated = Object.keys(en).filter((key) => {
      const zh = (zhCN as Record<string, string | undefined>)[key];
      return zh === undefined || zh.trim() === '' || zh === en[key as keyof typeof en];
    });
    expect(untranslated).toEqual([]);
    expect(Object.keys(zhCN).filter((key) => !(key in en))).toEqual([]);
    for (const key of Object.keys(en) as (keyof typeof en)[]) expect(placeholders(zhCN[key]), key).toEqual(placeholders(en[key]));
  });

  it('uses only keys that exist, and no bare user-visible text outside the message files', () => {
    const dir = join(import.meta.dirname, '../../web/src');
    for (const file of sources(dir)) {
      const text = readFileSync(file, 'utf8');
      for (const [, key] of text.matchAll(/\bt\('([\w.]+)'/g)) expect(key! in en, `${file}: t('${key}')`).toBe(true);
      // JSX text between tags must come from t(): letters directly inside >…< are an untranslated string.
      if (!file.endsWith('.tsx')) continue;
      const bare = [...text.matchAll(/(?<!=)>\s*([A-Za-z\u4e00-\u9fff][^<>{}]*?)\s*</g)].map((m) => m[1]);
      expect(bare, file).toEqual([]);
    }
  });
});
