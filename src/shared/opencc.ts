import { createRequire } from 'node:module';

/** One OpenCC conversion: same text in the other script (`tw→cn` keeps the length, `twp→cn` converts terms). */
export type Convert = (text: string) => string;

// opencc-js's .d.ts imports './core' without a file extension, which `nodenext` cannot resolve: the one
// function used is typed by hand.
interface OpenCC {
  Converter(options: { from: string; to: string }): Convert;
}

const load = createRequire(import.meta.url);
const converters = new Map<string, Convert>();

/**
 * The converter for `from → to`, built on first use and shared by every module: each one builds its
 * dictionaries into tries of tens of MB, which a process that never meets traditional Chinese (or never
 * detects a language) should not pay for at start, nor twice when documents and search ask for the same pair.
 */
export function openccConverter(from: 'tw' | 'twp' | 'cn', to: 'cn' | 'tw'): Convert {
  const key = `${from}→${to}`;
  let convert = converters.get(key);
  if (!convert) {
    // The package's per-direction builds: each holds only its own direction's dictionaries, so the source kept
    // in memory is 0.1 MB (to simplified) instead of the full build's 1.2 MB (measured: 1.7 MB less heap).
    convert = (load(to === 'cn' ? 'opencc-js/t2cn' : 'opencc-js/cn2t') as OpenCC).Converter({ from, to });
    converters.set(key, convert);
  }
  return convert;
}
