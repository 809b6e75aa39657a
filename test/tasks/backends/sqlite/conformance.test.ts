import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createSqliteTaskBackend } from '../../../../src/tasks/backends/sqlite/index.ts';
import { runTaskConformanceSuite } from '../../../conformance/tasks-suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'ai-stack-sqlite-tasks-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each test gets its own database file, as each Redis test gets its own key prefix.
runTaskConformanceSuite('sqlite', async () => createSqliteTaskBackend({ file: join(dir, `tasks-${++n}.db`), pollIntervalMs: 20 }));
