import { realpathSync } from 'node:fs';
import { loadConfig } from '../config/index.ts';
import { AiStackError } from '../shared/errors.ts';
import type { CliContext } from './command.ts';
import { commands } from './commands/index.ts';
import { startTracing } from '../telemetry/index.ts';

/** `ai-stack <command> [args]`: dispatches to src/cli/commands/*. Exit codes: 0 ok, 1 failure, 2 usage error. */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    ctx.stdout.write(helpText());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    ctx.stderr.write(`ai-stack: unknown command "${name}"\n\n${helpText()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    ctx.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(args, ctx);
  } catch (error) {
    ctx.stderr.write(`ai-stack ${name}: ${describe(error)}\n`);
    return 1;
  }
}

function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: ai-stack <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "ai-stack <command> --help" for a command's options.\n`;
}

/** One line naming the problem: a user never sees a stack trace. */
export function describe(error: unknown): string {
  if (error instanceof AiStackError) {
    const detail = error.issues.map((i) => `${i.field || '/'} ${i.message}`).filter((text) => !error.message.includes(text));
    return oneLine(detail.length > 0 ? `${error.message} (${detail.join('; ')})` : error.message);
  }
  if (error instanceof Error) return oneLine(error.message || error.name);
  return oneLine(String(error));
}

function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

/** Runs the process's own command line; used by `node src/cli/main.ts …` and by the `ai-stack` bin. */
export async function runProcess(): Promise<void> {
  // Before anything opens a connection, so every span site sees tracing on; off unless OTEL_* asks for it.
  const tracing = startTracing(process.env);
  process.exitCode = await main(process.argv.slice(2), {
    loadConfig: () => loadConfig(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
  });
  await tracing?.shutdown().catch(() => undefined);
  // The command has finished. A connection a shutdown step had to abandon (a Redis client still retrying) must
  // not keep the process alive; unref'd, this timer fires only if something else still holds the event loop.
  setTimeout(() => process.exit(), 1_000).unref();
}

if (process.argv[1] !== undefined && import.meta.filename === realpathSync(process.argv[1])) await runProcess();
