import type { Config } from '../config/index.ts';

/** What every CLI command receives. Output goes through these streams so tests can capture it. */
export interface CliContext {
  /** Loaded lazily: `ai-stack --help` must work even with a broken environment. */
  loadConfig(): Config;
  stdout: NodeJS.WritableStream;
  /** Secrets (a new user's password) are read from here, never from arguments. */
  stdin?: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * One `ai-stack <name>` sub-command. Each lives in src/cli/commands/<name>.ts and is listed in
 * src/cli/commands/index.ts. `run` resolves to the process exit code; long-running commands
 * (start, worker, scheduler) resolve only after a graceful shutdown.
 */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], ctx: CliContext): Promise<number>;
}
