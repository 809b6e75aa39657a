#!/usr/bin/env -S node --max-semi-space-size=16 --no-separate-gc-phases --no-allocation-site-pretenuring
/* global process, URL */
import { existsSync } from 'node:fs';
import { nodeVersionProblem } from './require-node.js';

const problem = nodeVersionProblem(process.version);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
// In the repository the TypeScript sources run directly (type stripping). The installed package ships
// only the built JavaScript: Node does not strip types under node_modules.
const source = new URL('../src/cli/main.ts', import.meta.url);
const entry = existsSync(source) ? source : new URL('../dist/cli/main.js', import.meta.url);
// The entry is chosen at run time, so its type is unknown here: both files export runProcess().
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment
const cli = /** @type {{ runProcess: () => Promise<void> }} */ (await import(entry.href));
await cli.runProcess();
