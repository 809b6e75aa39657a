import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import pg from 'pg';
import { BackupFailedError } from './errors.ts';

export interface PostgresSnapshot {
  schema: string;
  tables: Record<string, number>;
  migration: string | null;
}

/**
 * `pg_dump -Fc` of the connection's current schema. Row counts are read in a repeatable-read transaction
 * whose snapshot pg_dump is told to use (`--snapshot`), so the counts describe exactly what was dumped
 * while the service keeps writing.
 */
export async function dumpPostgres(url: string, outPath: string): Promise<PostgresSnapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const { rows } = await client.query<{ snapshot: string; schema: string | null }>('select pg_export_snapshot() as snapshot, current_schema() as schema');
    const { snapshot, schema } = rows[0] ?? { snapshot: '', schema: null };
    if (!schema) throw new BackupFailedError('the PostgreSQL connection has no current schema (check search_path in DATABASE_URL)');
    const described = await describeSchema(client, schema);
    // Uncompressed custom format: the whole backup is compressed once, with zstd.
    await runTool('pg_dump', ['-Fc', '-Z0', '--no-owner', '--no-privileges', '-n', schema, `--snapshot=${snapshot}`, '-f', outPath], url);
    await client.query('commit');
    return { schema, ...described };
  } finally {
    await client.end();
  }
}

/** Why restoring `schema` into this database would replace data (empty when it would not). */
export async function postgresTargetState(url: string, schema: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('select count(*) as n from pg_tables where schemaname = $1', [schema]);
    const tables = Number(rows[0]?.n ?? 0);
    return tables > 0 ? [`PostgreSQL schema "${schema}" holds ${tables} tables`] : [];
  } finally {
    await client.end();
  }
}

/**
 * Restores a custom-format dump in one transaction. The schema is (re)created here rather than by the
 * dump, so `public` and a fresh schema restore the same way; `replace` drops the old schema first.
 */
export async function restorePostgres(url: string, dumpPath: string, schema: string, replace: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const quoted = `"${schema.replaceAll('"', '""')}"`;
    if (replace) await client.query(`drop schema if exists ${quoted} cascade`);
    await client.query(`create schema if not exists ${quoted}`);
  } finally {
    await client.end();
  }
  const list = await runTool('pg_restore', ['-l', dumpPath], undefined);
  const listPath = `${dumpPath}.list`;
  await writeFile(
    listPath,
    list
      .split('\n')
      .filter((line) => !/^\d+; \d+ \d+ SCHEMA /.test(line))
      .join('\n'),
  );
  await runTool(
    'pg_restore',
    ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '-L', listPath, '-d', connectionArg(url).url, dumpPath],
    url,
  );
}

/** Row counts and newest migration of `schema`, read with `client` (inside whatever transaction it holds). */
export async function describeSchema(client: pg.ClientBase, schema: string): Promise<Omit<PostgresSnapshot, 'schema'>> {
  const { rows } = await client.query<{ name: string }>('select tablename as name from pg_tables where schemaname = $1 order by tablename', [schema]);
  const tables: Record<string, number> = {};
  for (const { name } of rows) {
    const counted = await client.query<{ n: string }>(`select count(*) as n from ${quote(schema)}.${quote(name)}`);
    tables[name] = Number(counted.rows[0]?.n ?? 0);
  }
  const migration = rows.some((r) => r.name === 'kysely_migration')
    ? ((await client.query<{ name: string }>(`select name from ${quote(schema)}.kysely_migration order by name desc limit 1`)).rows[0]?.name ?? null)
    : null;
  return { tables, migration };
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** The password travels in PGPASSWORD, not on the command line (where `ps` would show it). */
function connectionArg(url: string): { url: string; password: string | undefined } {
  const parsed = new URL(url);
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  return { url: parsed.toString(), password };
}

/** Runs a PostgreSQL client tool; stdout is returned, a failure throws with the tool's own first error line. */
function runTool(tool: 'pg_dump' | 'pg_restore', args: string[], url: string | undefined): Promise<string> {
  const connection = url ? connectionArg(url) : undefined;
  const fullArgs = tool === 'pg_dump' && connection ? [...args, '-d', connection.url] : args;
  const env = { ...process.env, ...(connection?.password ? { PGPASSWORD: connection.password } : {}) };
  return new Promise((resolve, reject) => {
    const child = spawn(tool, fullArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new BackupFailedError(
          error.code === 'ENOENT' ? `${tool} is not installed (Debian: apt-get install postgresql-client-15)` : `${tool} did not start: ${error.message}`,
          error,
        ),
      );
    });
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new BackupFailedError(
            `${tool} failed (exit ${code}): ${
              stderr
                .split('\n')
                .find((l) => l.trim() !== '')
                ?.trim() ?? 'no message'
            }`,
          ),
        );
    });
  });
}
