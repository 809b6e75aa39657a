// peak_rss_mb_200mb_upload: starts `ai-stack start` as its own process on the embedded defaults, uploads a
// big text file through the HTTP API (streamed multipart), waits until the document is ready or failed, and
// reads the process's peak RSS (VmHWM, which counts every thread: HTTP, task workers, search indexing) once its
// processing task has finished (search indexing included).
// The service runs as shipped: the built package (`dist/cli/main.js`, what the installed npm package's bin runs;
// Node does not strip types under node_modules), built first with `npm run build`. Running the TypeScript sources
// (`src/cli/main.ts`, as `npm start` in the repository does) costs about 40 MB more for Node's type stripping: that
// figure is measured too and reported beside it, as the secondary `ai-stack-src`.
// Alone: node bench/documents/peak-rss.ts [MB] [node flags…]   (builds dist, prints the figures for dist then src,
// writes nothing; flags after the size are added to the service's, to try one: `… 200 --single-threaded-gc`)
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from '../../src/cli/heap.ts';

/** The built package's entry, the service as the npm package ships it. */
export const BUILT_ENTRY = 'dist/cli/main.js';
/** The TypeScript entry `npm start` runs in the repository. */
export const SOURCE_ENTRY = 'src/cli/main.ts';

/** Builds dist from the current sources (`npm run build`, 15-45 s), so the figure is never of a stale build. */
export function buildPackage(): void {
  execFileSync('npm', ['run', 'build'], { cwd: new URL('../../', import.meta.url), stdio: ['ignore', 'ignore', 'inherit'] });
}

export interface PeakRss {
  /** Resident MB of the started service before the upload (VmRSS, after start-up settles). */
  idle: number;
  peak: number;
  afterUpload: number;
  size: number;
  status: number;
  finalStatus: string;
  finalError: string | null;
  seconds: number;
}

export interface PeakRssOptions {
  /** The entry point the service runs from, relative to the repository: BUILT_ENTRY (default, built by the caller) or SOURCE_ENTRY. */
  entry?: string;
  /** Node flags added after SERVICE_NODE_FLAGS, to measure a candidate setting. */
  nodeFlags?: readonly string[];
}

/** One run as a line: idle, after the upload, the peak, and how the document ended. */
export function describePeakRss(r: PeakRss): string {
  return `idle RSS ${r.idle.toFixed(0)} MB, HTTP ${r.status}, peak RSS after upload ${r.afterUpload.toFixed(0)} MB, after processing ${r.peak.toFixed(0)} MB, document ${r.finalStatus} in ${r.seconds.toFixed(0)} s${r.finalError ? ` (${r.finalError})` : ''}`;
}

export async function measurePeakRss(megabytes: number, options: PeakRssOptions = {}): Promise<PeakRss> {
  const bigDir = mkdtempSync(join(tmpdir(), 'ai-stack-bench-big-'));
  const bigFile = join(bigDir, 'big.txt');
  // Paragraphs of a few lines, English and Chinese, numbered so that no two are the same.
  const paragraph = (n: number) =>
    `Section ${n}. The quarterly report lists revenue, costs and shipping figures for region ${n % 97}.\n季度报告列出了第${n}个地区的收入和成本。\n\n`;
  const parts: string[] = [];
  let bytes = 0;
  for (let n = 0; bytes < megabytes * 1024 * 1024; n++) {
    const p = paragraph(n);
    parts.push(p);
    bytes += Buffer.byteLength(p);
  }
  writeFileSync(bigFile, parts.join(''));
  parts.length = 0;
  const adminKey = randomBytes(24).toString('hex');
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const env = {
    PATH: process.env.PATH ?? '',
    PORT: String(port),
    AI_STACK_DATA_DIR: join(bigDir, 'data'),
    AI_STACK_ADMIN_KEY: adminKey,
    LOG_LEVEL: 'warn',
    AI_STACK_UPLOAD_MAX_BYTES: String(megabytes * 2 * 1024 * 1024),
    AI_STACK_EXTRACT_TIMEOUT_MS: '600000',
  };
  // Launched as bin/ai-stack.js launches the installed package: with the service's V8 flags (src/cli/heap.ts).
  const entry = options.entry ?? BUILT_ENTRY;
  if (!existsSync(new URL(`../../${entry}`, import.meta.url))) throw new Error(`${entry} is missing: run npm run build first`);
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...(options.nodeFlags ?? []), entry, 'start'], {
    cwd: new URL('../../', import.meta.url),
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    // Start-up is slow on a busy machine: wait up to two minutes for the service to answer.
    for (let i = 0; i < 1200; i++) {
      if (
        await fetch(`${url}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (child.exitCode !== null) throw new Error(`the service exited during start-up (code ${child.exitCode})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const status = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    const vmHwm = () => status('VmHWM');
    // Start-up work (migrations, first timers) settles before the idle figure is read.
    await new Promise((r) => setTimeout(r, 3000));
    const idle = status('VmRSS');
    const size = statSync(bigFile).size;
    const started = performance.now();
    // node:http rather than fetch: a 200 MB upload on a busy machine outlasts fetch's five-minute header timeout.
    const res = await new Promise<{ status: number; json: () => unknown }>((resolve, reject) => {
      const head = Buffer.from('--benchboundary\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n');
      const tail = Buffer.from('\r\n--benchboundary--\r\n');
      const req = request(
        `${url}/api/v1/documents`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${adminKey}`,
            'content-type': 'multipart/form-data; boundary=benchboundary',
            'content-length': head.length + size + tail.length,
          },
        },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (part: Buffer) => parts.push(part));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, json: () => JSON.parse(Buffer.concat(parts).toString('utf8')) }));
          response.on('error', reject);
        },
      );
      req.on('error', reject);
      req.write(head);
      const file = createReadStream(bigFile);
      file.on('error', reject);
      file.on('end', () => req.end(tail));
      file.pipe(req, { end: false });
    });
    const uploaded = res.json() as { document?: { id: number }; task?: { status_url: string } | null; detail?: string };
    if (!uploaded.document) throw new Error(`upload refused: HTTP ${res.status} ${uploaded.detail ?? ''}`);
    const afterUpload = vmHwm();
    let finalStatus = 'unknown';
    let finalError: string | null = null;
    for (let i = 0; i < 12_000; i++) {
      const doc = (await (await fetch(`${url}/api/v1/documents/${uploaded.document.id}`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as {
        status: string;
        error: string | null;
      };
      if (doc.status === 'ready' || doc.status === 'failed') {
        finalStatus = doc.status;
        finalError = doc.error;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    // The document is `ready` before its task ends: the task then indexes its chunks for search (jieba and all),
    // which is processing too. The peak is read once the task has finished.
    for (let i = 0; uploaded.task && i < 3_000; i++) {
      const task = (await (await fetch(`${url}${uploaded.task.status_url}`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as {
        celeryState?: string;
      };
      if (task.celeryState === 'SUCCESS' || task.celeryState === 'FAILURE') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return { idle, peak: vmHwm(), afterUpload, size, status: res.status, finalStatus, finalError, seconds: (performance.now() - started) / 1000 };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((r) => child.on('exit', r));
    rmSync(bigDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const mb = Number(process.argv[2] ?? 200);
  const nodeFlags = process.argv.slice(3);
  buildPackage();
  for (const entry of [BUILT_ENTRY, SOURCE_ENTRY]) {
    const r = await measurePeakRss(mb, { entry, nodeFlags });
    console.log(`${entry}, ${mb} MB upload: ${describePeakRss(r)}`);
  }
}
