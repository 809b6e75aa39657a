import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, runWatched, type CliProcess } from './process.ts';

const exec = promisify(execFile);

/** A project outside the repository that installed the packed `ai-stack` tarball, as a user's would. */
export interface InstalledProject {
  dir: string;
  /** PATH that finds this test's Node 24 first (the bins' `#!/usr/bin/env node`). */
  env: Record<string, string>;
  /** Runs the installed `ai-stack` bin in the project. */
  bin(args: string[], env?: Record<string, string>): CliProcess;
  /** Runs any executable in the project (or in `cwd`, a folder of it) with this environment. */
  run(command: string, args: string[], env?: Record<string, string>, cwd?: string): CliProcess;
  /** Runs `node <file>` in the project (a user's TypeScript file: types are stripped outside node_modules). */
  node(args: string[], env?: Record<string, string>): CliProcess;
  cleanup(): void;
}

/**
 * `npm pack` (whose `prepack` builds dist/) then `npm install <tarball>` into a fresh project,
 * preferring the npm cache so it needs no network when CI's `npm ci` has filled it. Bounded in time.
 */
export async function installPackedPackage(timeoutMs = 240_000): Promise<InstalledProject> {
  const root = mkdtempSync(join(tmpdir(), 'ai-stack-packed-'));
  // A machine's own CA bundle (a TLS-inspecting proxy in front of the registry) is part of a user's setup too.
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  const env = { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp', ...(ca ? { NODE_EXTRA_CA_CERTS: ca } : {}) };
  const npm = (args: string[], cwd: string) =>
    exec('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd,
      env: { ...env, npm_config_update_notifier: 'false' },
      timeout: timeoutMs,
      maxBuffer: 16 << 20,
    });
  await npm(['pack', '--pack-destination', root], REPO_ROOT);
  const tarball = readdirSync(root).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack left no tarball in ${root}`);
  const dir = join(root, 'my-shop');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-shop', private: true, type: 'module' }, null, 2));
  await npm(['install', '--prefer-offline', join(root, tarball)], dir);
  return {
    dir,
    env,
    bin: (args, extra = {}) => runWatched(join(dir, 'node_modules/.bin/ai-stack'), args, { cwd: dir, env: { ...env, ...extra } }),
    run: (command, args, extra = {}, cwd = dir) => runWatched(command, args, { cwd, env: { ...env, ...extra } }),
    node: (args, extra = {}) => runWatched(process.execPath, args, { cwd: dir, env: { ...env, ...extra } }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
