import { openccConverter } from '../../shared/opencc.ts';

export type Language = 'zh-Hans' | 'zh-Hant' | 'en' | 'mixed' | 'und';

const HAN = /\p{Script=Han}/gu;
const LATIN_WORD = /[A-Za-z]{2,}/g;
const SAMPLE_CHARS = 20_000;
/** Characters of a text that language detection looks at (the rest is not read). */
export const LANGUAGE_SAMPLE_CHARS = SAMPLE_CHARS * 4;

/**
 * zh-Hans / zh-Hant / en / mixed from a sample of the text: the share of Han characters against Latin
 * words decides Chinese, English or mixed; OpenCC's character tables decide the script (characters that
 * change when converted to simplified are traditional-only, and the other way round).
 */
export function detectLanguage(text: string): Language {
  const sample = text.length > LANGUAGE_SAMPLE_CHARS ? text.slice(0, LANGUAGE_SAMPLE_CHARS) : text;
  const han = sample.match(HAN) ?? [];
  const latinWords = (sample.match(LATIN_WORD) ?? []).length;
  // Each Han character is about one word-equivalent of content; a Latin word is one.
  const units = han.length + latinWords;
  if (units === 0) return 'und';
  const hanShare = han.length / units;
  if (hanShare < 0.15) return 'en';
  if (hanShare < 0.75) return 'mixed';
  const hanText = han.slice(0, SAMPLE_CHARS).join('');
  const simplified = openccConverter('tw', 'cn')(hanText);
  let traditionalOnly = 0;
  for (let i = 0; i < hanText.length; i++) if (simplified[i] !== hanText[i]) traditionalOnly++;
  // Without a traditional-only character the answer is zh-Hans whatever the other count: the cn → tw tables
  // (about 40 MB of heap, 80 MB resident) are built only for text that has some.
  if (traditionalOnly === 0) return 'zh-Hans';
  const traditional = openccConverter('cn', 'tw')(hanText);
  let simplifiedOnly = 0;
  for (let i = 0; i < hanText.length; i++) if (traditional[i] !== hanText[i]) simplifiedOnly++;
  return traditionalOnly > simplifiedOnly ? 'zh-Hant' : 'zh-Hans';
}
