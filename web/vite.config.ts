import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync, zstdCompressSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Writes .br, .gz and .zst next to each text asset once at build time; the server picks one by Accept-Encoding. */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'ai-stack-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
      for (const file of walk(outDir).filter((f) => /\.(js|css|html|svg|json)$/.test(f))) {
        const body = readFileSync(file);
        writeFileSync(`${file}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
        writeFileSync(`${file}.zst`, zstdCompressSync(body, { params: { [constants.ZSTD_c_compressionLevel]: 19 } }));
      }
    },
  };
}

// Preact's automatic JSX runtime through Vite's own transformer: no framework plugin to install or keep fast.
export default defineConfig({
  root,
  // Relative: chunks find each other next to the entry script, wherever it is served from. The server
  // points index.html at /assets or at AI_STACK_ASSET_BASE_URL (src/console/routes.ts).
  base: './',
  logLevel: 'warn',
  plugins: [precompress()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    reportCompressedSize: false,
    sourcemap: false,
    // Which chunks each route loads: read by the per-route budgets (fixtures/console-bundle.ts).
    manifest: true,
  },
});
