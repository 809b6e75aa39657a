import { parseArgs } from 'node:util';
import { ApiKeyService, isScope, type Scope } from '../../auth/index.ts';
import { migrateToLatest, openDatabase } from '../../db/index.ts';
import { ValidationError } from '../../shared/errors.ts';
import type { CliContext, Command } from '../command.ts';

const USAGE = `Usage:
  ai-stack keys create --name <name> [--scopes read,write,admin] [--expires-in-days N]
  ai-stack keys list
  ai-stack keys revoke <id>`;

export const keysCommand: Command = {
  name: 'keys',
  summary: 'Create, list and revoke API keys',
  usage: USAGE,
  async run(args, ctx) {
    const [action, ...rest] = args;
    if (action !== 'create' && action !== 'list' && action !== 'revoke') {
      ctx.stderr.write(`${USAGE}\n`);
      return 2;
    }
    const config = ctx.loadConfig();
    const db = await openDatabase(config.database);
    try {
      await migrateToLatest(db);
      const keys = new ApiKeyService(db.kysely);
      if (action === 'create') return await create(keys, rest, ctx);
      if (action === 'list') return await list(keys, ctx);
      return await revoke(keys, rest, ctx);
    } finally {
      await db.close();
    }
  },
};

async function create(keys: ApiKeyService, args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { name: { type: 'string' }, scopes: { type: 'string', default: 'read' }, 'expires-in-days': { type: 'string' } },
    strict: true,
  });
  if (!values.name) throw new ValidationError('--name is required');
  const scopes = values.scopes.split(',').map((s) => s.trim());
  const bad = scopes.filter((s) => !isScope(s));
  if (bad.length > 0) throw new ValidationError(`Unknown scope(s): ${bad.join(', ')}; use read, write or admin`);
  let expiresAt: string | null = null;
  if (values['expires-in-days'] !== undefined) {
    const days = Number(values['expires-in-days']);
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new ValidationError('--expires-in-days must be a whole number from 1 to 3650');
    expiresAt = new Date(Date.now() + days * 86_400_000).toISOString();
  }
  const { key, info } = await keys.create({ name: values.name, scopes: scopes as Scope[], expiresAt });
  ctx.stdout.write(`Created key ${info.id} "${info.name}" with scopes ${info.scopes.join(',')}.\nKey (shown only now): ${key}\n`);
  return 0;
}

async function list(keys: ApiKeyService, ctx: CliContext): Promise<number> {
  const rows = await keys.list();
  ctx.stdout.write('id\tprefix\tscopes\tstate\tname\tlast used\n');
  for (const k of rows) {
    const state = k.revokedAt ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= Date.now() ? 'expired' : 'active';
    ctx.stdout.write(`${k.id}\t${k.prefix}…\t${k.scopes.join(',')}\t${state}\t${k.name}\t${k.lastUsedAt ?? '-'}\n`);
  }
  return 0;
}

async function revoke(keys: ApiKeyService, args: string[], ctx: CliContext): Promise<number> {
  const id = Number(args[0]);
  if (!Number.isInteger(id) || id < 1) throw new ValidationError('keys revoke needs the numeric id shown by "ai-stack keys list"');
  const info = await keys.revoke(id);
  ctx.stdout.write(`Revoked key ${info.id} "${info.name}".\n`);
  return 0;
}
