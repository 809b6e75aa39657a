import { parseArgs } from 'node:util';
import { migrateToLatest, openDatabase } from '../../db/index.ts';
import { ValidationError } from '../../shared/errors.ts';
import { isRole, MIN_PASSWORD_LENGTH, UserService } from '../../users/index.ts';
import type { CliContext, Command } from '../command.ts';

const USAGE = `Usage:
  ai-stack users create --username <name> [--admin | --role admin|write|read]   (password read from stdin)
  ai-stack users list

The password is read from standard input (first line), never from the command line, e.g.
  printf '%s\\n' "$PASSWORD" | ai-stack users create --username alice --admin
It must be at least ${MIN_PASSWORD_LENGTH} characters. There is no default password.`;

export const usersCommand: Command = {
  name: 'users',
  summary: 'Create and list web-console users',
  usage: USAGE,
  async run(args, ctx) {
    const [action, ...rest] = args;
    if (action !== 'create' && action !== 'list') {
      ctx.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const options = action === 'create' ? parseCreate(rest) : (parseArgs({ args: rest, options: {}, strict: true }), null);
    // Read before opening the database, so a missing password fails fast and touches nothing.
    const password = options ? await readPassword(ctx) : '';
    const config = ctx.loadConfig();
    const db = await openDatabase(config.database);
    try {
      await migrateToLatest(db);
      const users = new UserService(db.kysely);
      if (options) {
        const user = await users.create({ username: options.username, password, role: options.role });
        ctx.stdout.write(`Created user ${user.id} "${user.username}" with role ${user.role}.\n`);
        return 0;
      }
      ctx.stdout.write('id\trole\tusername\tlocked until\n');
      for (const u of await users.list()) ctx.stdout.write(`${u.id}\t${u.role}\t${u.username}\t${u.lockedUntil ?? '-'}\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};

function parseCreate(args: string[]): { username: string; role: 'admin' | 'write' | 'read' } {
  const { values } = parseArgs({
    args,
    options: { username: { type: 'string' }, admin: { type: 'boolean', default: false }, role: { type: 'string' } },
    strict: true,
  });
  if (!values.username) throw new ValidationError('--username is required');
  const role = values.admin ? 'admin' : (values.role ?? 'read');
  if (!isRole(role)) throw new ValidationError(`Unknown role "${role}"; use admin, write or read`);
  if (values.admin && values.role !== undefined && values.role !== 'admin') throw new ValidationError('--admin and --role disagree');
  return { username: values.username, role };
}

async function readPassword(ctx: CliContext): Promise<string> {
  if (!ctx.stdin) throw new ValidationError('The password is read from standard input, which is not available');
  let text = '';
  for await (const chunk of ctx.stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    if (text.includes('\n') || text.length > 4096) break;
  }
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '') throw new ValidationError('No password on standard input; pipe it in, e.g. printf \'%s\\n\' "$PASSWORD" | ai-stack users create …');
  return password;
}
