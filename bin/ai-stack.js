#!/usr/bin/env node
// The CLI runs the TypeScript sources directly on Node 24 (type stripping): no build step.
const { runProcess } = await import('../src/cli/main.ts');
await runProcess();
