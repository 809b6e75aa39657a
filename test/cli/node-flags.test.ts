import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_FLAGS } from '../../src/cli/heap.ts';

// V8 takes the service's heap flags only at launch, so they are written where the service is launched;
// this keeps every launcher equal to the one list in src/cli/heap.ts.
describe('service launch flags', () => {
  const root = new URL('../../', import.meta.url);
  const flagsOf = (command: string) => command.split(/\s+/).filter((word) => word.startsWith('--'));

  it("bin/ai-stack.js's shebang passes exactly SERVICE_NODE_FLAGS", () => {
    const shebang = readFileSync(new URL('bin/ai-stack.js', root), 'utf8').split('\n')[0] ?? '';
    expect(shebang).toMatch(/^#!\/usr\/bin\/env -S node /);
    expect(flagsOf(shebang)).toEqual([...SERVICE_NODE_FLAGS]);
  });

  it.each(['start', 'worker', 'scheduler'])('npm run %s passes exactly SERVICE_NODE_FLAGS', (script) => {
    const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const command = scripts[script] ?? '';
    expect(command).toMatch(/^node .*src\/cli\/main\.ts /);
    expect(flagsOf(command.split('src/cli/main.ts')[0] ?? '')).toEqual([...SERVICE_NODE_FLAGS]);
  });
});
