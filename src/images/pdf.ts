import { spawn } from 'node:child_process';
import { UnreadableImageError } from './errors.ts';

export interface RasterOptions {
  /**
   * Longest side of the rendered page in pixels. Default 906: a portrait A-series page (1 : √2) comes out exactly
   * 640 wide, the largest thumbnail; Letter and every landscape page come out wider. Rendering more pixels than
   * that cost twice the time for pixels the thumbnails throw away.
   */
  maxSide?: number;
  /** pdftoppm is killed after this long. Default 30 s. */
  timeoutMs?: number;
  /** Most bytes of image accepted back. Default 32 MB. */
  maxOutputBytes?: number;
}

/** Uncompressed 8-bit RGB pixels, row by row (what sharp takes as `raw` input). */
export interface RasterImage {
  pixels: Buffer;
  width: number;
  height: number;
  channels: 3;
}

/**
 * A binary PPM (P6, 8-bit) as pixels. The bytes come from pdftoppm, but are checked all the same: a header that
 * does not match the data is an error, never a read past the end.
 */
export function parsePpm(ppm: Buffer): RasterImage {
  const header = /^P6\s+(\d{1,6})\s+(\d{1,6})\s+255\s/.exec(ppm.subarray(0, 64).toString('latin1'));
  const width = Number(header?.[1] ?? 0);
  const height = Number(header?.[2] ?? 0);
  if (!header || width === 0 || height === 0 || ppm.length - header[0].length !== width * height * 3)
    throw new UnreadableImageError('the rendered page is not a complete 8-bit PPM image');
  return { pixels: ppm.subarray(header[0].length), width, height, channels: 3 };
}

/**
 * The first page of a PDF as pixels, rendered by poppler's `pdftoppm` in its own process: a hostile PDF can
 * make it slow or make it crash, but not the service. PPM (raw pixels) rather than PNG: PNG's deflate was more
 * than half of pdftoppm's time, and sharp then had to inflate it again. The page is scaled to fit `maxSide` (so a page declared
 * kilometres wide still renders small), the process is killed after `timeoutMs`, and its output is bounded.
 */
export function rasterizeFirstPage(pdf: Buffer, options: RasterOptions = {}): Promise<RasterImage> {
  const maxSide = options.maxSide ?? 906;
  const maxOutput = options.maxOutputBytes ?? 32 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    // `-` reads the PDF from stdin; without an output root pdftoppm writes the image (PPM by default) to stdout.
    const child = spawn('pdftoppm', ['-f', '1', '-l', '1', '-singlefile', '-scale-to', String(maxSide), '-'], {
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
      let image: RasterImage;
      try {
        image = parsePpm(Buffer.concat(out, size));
      } catch (error) {
        return reject(error instanceof Error ? error : new UnreadableImageError(String(error)));
      }
      resolve(image);
    });
    child.stdin.end(pdf);
  });
}
