import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCli } from '../support/process.ts';
import { eventually } from '../support/wait.ts';

const IN_FLIGHT = 25;

/** Sends a request's head and half its body, so the server has accepted it but cannot finish it yet. */
function startSlowRequest(port: number, key: string, index: number): { socket: Socket; finish(): void; response: Promise<string> } {
  const body = JSON.stringify({ code: `SLOW-${index}`, name: `In-flight customer ${index}`, country: 'DE' });
  const half = Math.floor(body.length / 2);
  const socket = connect(port, '127.0.0.1');
  socket.write(
    `POST /api/v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
  );
  let received = '';
  const response = new Promise<string>((resolve) => {
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
    socket.on('close', () => resolve(received));
    socket.on('error', () => resolve(received));
  });
  return { socket, finish: () => socket.end(body.slice(half)), response };
}

function inFlight(metrics: string): number {
  return Number(/^ai_stack_http_requests_in_flight (\d+)/m.exec(metrics)?.[1] ?? 0);
}

describe('graceful shutdown', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-shutdown-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finishes every accepted request after SIGTERM, refuses new connections, and exits 0', async () => {
    const port = await freePort();
    const service = runCli(['start'], { PORT: String(port), AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'info', AI_STACK_SHUTDOWN_TIMEOUT_MS: '30000' });
    try {
      const [key] = await service.waitFor(/ask_[A-Za-z0-9_-]{43}/);
      await service.waitFor(/AI Stack is serving/);

      const requests = Array.from({ length: IN_FLIGHT }, (_, i) => startSlowRequest(port, key, i));
      // SIGTERM only once the server has read every request's head (the metrics request itself is one more).
      await eventually(
        async () => inFlight(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()) >= IN_FLIGHT + 1,
        20_000,
        'the requests to be in flight',
      );
      service.child.kill('SIGTERM');
      await service.waitFor(/shutting down/);

      // The listening socket closes within a few ticks of the signal; poll until a new connection is refused.
      await eventually(
        () =>
          new Promise<boolean>((resolve) => {
            const probe = connect(port, '127.0.0.1');
            probe.on('connect', () => {
              probe.destroy();
              resolve(false);
            });
            probe.on('error', () => resolve(true));
          }),
        10_000,
        'new connections to be refused',
      );

      for (const r of requests) r.finish();
      const responses = await Promise.all(requests.map((r) => r.response));
      for (const response of responses) expect(response).toMatch(/^HTTP\/1\.1 201 /);
      expect(await service.exited).toBe(0);
    } finally {
      service.child.kill('SIGKILL');
    }

    const db = new DatabaseSync(join(dataDir, 'ai-stack.db'));
    const row = db.prepare("select count(*) as n from customers where code like 'SLOW-%'").get() as { n: number };
    db.close();
    expect(row.n).toBe(IN_FLIGHT);
  });
});
