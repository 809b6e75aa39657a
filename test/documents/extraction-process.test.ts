import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { corpus } from '../../fixtures/documents-corpus.ts';
import { runExtraction } from '../../src/documents/index.ts';

const OPTIONS = { timeoutMs: 60_000, memoryMb: 256, type: 'pdf' as const, filename: 'long.pdf' };

/** SIGKILL to this test process's extraction processes, as an operator or the OOM killer would send it. */
function killExtractionProcesses(): number {
  let pids: string[];
  try {
    pids = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'extract/worker'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
  for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
  return pids.length;
}

describe('documents: extraction processes killed from outside', () => {
  it('a job whose process is killed under it, or that is sent to a dead one, is done again in a new process', async () => {
    const files = await corpus();
    const pdf = files.bytes('long.pdf');
    const first = await runExtraction(Buffer.from(pdf), OPTIONS);
    expect(first.pageCount).toBe(200);

    // The idle process is killed: the next job must not fail with EPIPE.
    expect(killExtractionProcesses()).toBeGreaterThan(0);
    expect((await runExtraction(Buffer.from(pdf), OPTIONS)).pageCount).toBe(200);

    // Killed while it extracts: the job is retried once in a fresh process.
    const running = runExtraction(Buffer.from(pdf), OPTIONS);
    let killed = 0;
    for (let i = 0; i < 200 && killed === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      killed = killExtractionProcesses();
    }
    expect(killed).toBeGreaterThan(0);
    const again = await running;
    expect(again.pageCount).toBe(200);
    expect(again.blocks.some((b) => b.text.includes('This is page 200 of the long report.'))).toBe(true);
  }, 60_000);
});
