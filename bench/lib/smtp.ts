/** A real SMTP server for benchmarks (bench/lib/smtp-sink.ts, smtp-server from npm) in its own process on loopback. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SmtpSink {
  url: string;
  port: number;
  /**
   * When the server accepted the message for `recipient` (epoch ms, `performance.timeOrigin + performance.now()`
   * in the sink's process); needs `receipts`. Resolves at once if it already arrived.
   */
  receivedAt(recipient: string, timeoutMs?: number): Promise<number>;
  stop(): void;
}

export async function startSmtpSink(options: { receipts?: boolean } = {}): Promise<SmtpSink> {
  const child = spawn(process.execPath, [new URL('./smtp-sink.ts', import.meta.url).pathname, ...(options.receipts ? ['--receipts'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const arrived = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`smtp sink exited ${code} before listening`)));
    lines.on('line', (line) => {
      const [word, value, recipients] = line.split(' ');
      if (word === 'port') return resolve(Number(value));
      if (word !== 'received' || recipients === undefined) return;
      for (const to of recipients.split(',')) {
        arrived.set(to, Number(value));
        waiting.get(to)?.(Number(value));
      }
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    receivedAt: (recipient, timeoutMs = 60_000) => {
      const key = recipient.toLowerCase();
      const known = arrived.get(key);
      if (known !== undefined) return Promise.resolve(known);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(key);
          reject(new Error(`no message for ${recipient} reached the SMTP sink in ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(key, (at) => {
          clearTimeout(timer);
          waiting.delete(key);
          resolve(at);
        });
      });
    },
    stop: () => {
      child.removeAllListeners('exit');
      child.kill();
    },
  };
}
