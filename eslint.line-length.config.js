// Line length, the part Prettier cannot do: it wraps code at 160 (`npm run format`) but never comments, and a
// long string, template literal, regex or URL is better left whole than broken. Run by `npm run format:check`
// without type information, so it takes seconds.
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'bench/results/', 'coverage/', 'web/dist/', 'web/dist.*/'] },
  {
    files: ['**/*.{ts,tsx,js}'],
    languageOptions: { parser: tseslint.parser },
    // The main config's disable comments name its rules: known here (the plugin is registered), never reported as unused.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    plugins: { '@stylistic': stylistic, '@typescript-eslint': tseslint.plugin },
    rules: {
      '@stylistic/max-len': [
        'error',
        { code: 160, tabWidth: 2, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true },
      ],
    },
  },
);
