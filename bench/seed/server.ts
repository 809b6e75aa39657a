// One AI Stack process for the seed benchmark, built by the real composition root (createRuntime) from the
// environment, with workers and scheduler as `ai-stack start` runs them. argv[2]: JSON RuntimeOptions.resources.
// Prints `{ "url": … }` once listening; stops gracefully on SIGTERM.
import { createRuntime, type RuntimeOptions } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';

const resources = JSON.parse(process.argv[2] ?? '{}') as RuntimeOptions['resources'];
const runtime = await createRuntime(loadConfig(process.env), { logger: silentLogger, resources });
await runtime.startBackground();
const url = await runtime.listen();
process.stdout.write(`${JSON.stringify({ url })}\n`);
process.once(
  'SIGTERM',
  () =>
    void runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    ),
);
