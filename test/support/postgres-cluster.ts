import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './process.ts';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
/** initdb refuses to run as root; the cluster then belongs to the Debian `postgres` user. */
const POSTGRES_UID = 101;
const POSTGRES_GID = 104;

/**
 * A throwaway PostgreSQL 15 cluster (initdb + pg_ctl) on its own port and directory, which a fault test may
 * stop and restart; never the shared server. Trust auth for user `root`, database `postgres`.
 */
export class ThrowawayPostgres {
  readonly port: number;
  readonly dir: string;
  readonly #maxConnections: number;

  private constructor(port: number, dir: string, maxConnections: number) {
    this.port = port;
    this.dir = dir;
    this.#maxConnections = maxConnections;
  }

  /** `maxConnections`: the server's max_connections (default 20), small to test connection budgets. */
  static async start(options: { maxConnections?: number } = {}): Promise<ThrowawayPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-pg-'));
    chmodSync(dir, 0o700);
    const cluster = new ThrowawayPostgres(await freePort(), dir, options.maxConnections ?? 20);
    if (userInfo().uid === 0) chownSync(dir, POSTGRES_UID, POSTGRES_GID);
    await cluster.#asOwner(`${BIN}/initdb`, ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'root', '--no-sync', '-E', 'UTF8']);
    await cluster.#ctl('start');
    return cluster;
  }

  get url(): string {
    return `postgres://root@127.0.0.1:${this.port}/postgres`;
  }

  /** Fast restart: the server terminates every backend (57P01), like an operator's `systemctl restart`. */
  restart(): Promise<void> {
    return this.#ctl('restart');
  }

  stop(): Promise<void> {
    return this.#ctl('stop');
  }

  async destroy(): Promise<void> {
    await this.#ctl('stop').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #ctl(action: 'start' | 'stop' | 'restart'): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB -c max_connections=${this.#maxConnections} -c superuser_reserved_connections=0`;
    const args = ['-D', join(this.dir, 'data'), '-w', '-m', 'fast', '-l', join(this.dir, 'log')];
    await this.#asOwner(`${BIN}/pg_ctl`, action === 'stop' ? [...args, 'stop'] : [...args, '-o', options, action]);
  }

  async #asOwner(command: string, args: string[]): Promise<void> {
    if (userInfo().uid === 0) await run('runuser', ['-u', 'postgres', '--', command, ...args], { cwd: this.dir });
    else await run(command, args, { cwd: this.dir });
  }
}
