// A task system with its admin routes on a real Fastify server under /admin, and the teardown that leaves its
// backend empty: the set-up the tasks admin and progress tests share.
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { AiStackError } from '../../src/shared/errors.ts';
import { createTaskSystem, type TaskBackend, type TaskDefinition, type TaskSystem, type WorkerPool } from '../../src/tasks/index.ts';

export interface TaskService {
  backend: TaskBackend;
  system: TaskSystem;
  app: FastifyInstance;
}

export async function openTaskService(options: {
  backend: TaskBackend;
  tasks: TaskDefinition[];
  /** Plugins registered under /admin, built from the system. */
  routes: (system: TaskSystem) => FastifyPluginAsync[];
  registry?: Registry;
}): Promise<TaskService> {
  const system = createTaskSystem({ backend: options.backend, tasks: options.tasks, ...(options.registry ? { registry: options.registry } : {}) });
  // Same validator settings as the real server (src/http/server.ts): unknown fields are rejected.
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false } } });
  // Stand-in for the server's problem+json mapping, which lives at the HTTP edge.
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err instanceof AiStackError ? err.status : (err.statusCode ?? 500);
    return reply.status(status).send({ code: err instanceof AiStackError ? err.code : 'error', message: err.message });
  });
  await app.register(
    async (admin) => {
      for (const plugin of options.routes(system)) await admin.register(plugin);
    },
    { prefix: '/admin' },
  );
  await app.ready();
  return { backend: options.backend, system, app };
}

/** Stops the server and the workers, then empties every queue and the store before closing the backend. */
export async function closeTaskService(service: TaskService, pool?: WorkerPool): Promise<void> {
  await service.app.close();
  await pool?.close({ timeoutMs: 2_000 });
  for (const q of service.system.queueNames)
    await service.system
      .queue(q)
      .obliterate({ force: true })
      .catch(() => undefined);
  for (const { key } of await service.backend.store.scan('')) await service.backend.store.delete(key);
  await service.system.close();
  await service.backend.close();
}
