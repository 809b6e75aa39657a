import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShutdownIncompleteError } from '../../src/app/index.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

/** stop() runs every step under its own error handling: one failing step must not leave the rest open. */
describe('stop() with a failing step', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite', { AI_STACK_SHUTDOWN_TIMEOUT_MS: '1000' });
    await svc.runtime.startBackground();
  });
  afterAll(async () => {
    await svc.cleanup().catch(() => undefined);
  });

  it('a scheduler whose store fails on close still lets workers, queues, cache and database close', async () => {
    const { runtime } = svc;
    // The scheduler holds the Beat lease and releases it in the task store on close; with the store closed
    // under it, that release throws (as it would on a full disk or a lost Redis).
    await runtime.tasks.backend.close();
    const outcome = await runtime.stop().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(ShutdownIncompleteError);
    expect((outcome as ShutdownIncompleteError).steps).toContain('scheduler');
    expect((outcome as ShutdownIncompleteError).steps).not.toContain('database');
    await expect(runtime.db.ping()).rejects.toThrow();
  });
});
