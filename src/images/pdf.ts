import { spawn } from 'node:child_process';
import { UnreadableImageError } from './errors.ts';

export interface RasterOptions {
  /** Longest side of the rendered page in pixels. Default 1280 (the largest thumbnail at 2× density, with room). */
  maxSide?: number;
  /** pdftoppm is killed after this long. Default 30 s. */
  timeoutMs?: number;
  /** Most bytes of PNG accepted back. Default 32 MB. */
  maxOutputBytes?: number;
}

/**
 * The first page of a PDF as PNG, rendered by poppler's `pdftoppm` in its own process: a hostile PDF can make it
 * slow or make it crash, but not the service. The page is scaled to fit `maxSide` (so a page declared
 * kilometres wide still renders small), the process is killed after `timeoutMs`, and its output is bounded.
 */
export function rasterizeFirstPage(pdf: Buffer, options: RasterOptions = {}): Promise<Buffer> {
  const maxSide = options.maxSide ?? 1280;
  const maxOutput = options.maxOutputBytes ?? 32 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    // `-` reads the PDF from stdin; without an output root pdftoppm writes the image to stdout.
    const child = spawn('pdftoppm', ['-f', '1', '-l', '1', '-singlefile', '-png', '-scale-to', String(maxSide), '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 30_000,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let failure: Error | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxOutput) {
        failure ??= new UnreadableImageError(`the first page renders to more than ${maxOutput} bytes`);
        child.kill('SIGKILL');
      } else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-2_000)));
    // The child may exit before reading all of stdin (a broken PDF): EPIPE is that, not a crash.
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => reject(new UnreadableImageError(`pdftoppm could not run: ${error.message}`, error)));
    child.on('close', (code, signal) => {
      if (failure) return reject(failure);
      if (signal) return reject(new UnreadableImageError(`rendering the first page stopped (${signal}: over the time limit or killed)`));
      if (code !== 0 || size === 0) {
        const why = stderr.trim().split('\n').at(-1) ?? '';
        return reject(new UnreadableImageError(`the first page could not be rendered${why ? `: ${why.slice(0, 300)}` : ''}`));
      }
      resolve(Buffer.concat(out, size));
    });
    child.stdin.end(pdf);
  });
}
