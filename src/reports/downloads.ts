import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { ReportFileStore } from './files.ts';
import type { ReportDb } from './tables.ts';

export interface StoredReportFile {
  token: string;
  filename: string;
  mediaType: string;
  size: number;
  expiresAt: string;
  /** Path under /api/v1 that downloads the file until it expires. */
  url: string;
}

/** Report files with expiring download tokens: the token is 256 random bits, stored with the file's key and expiry. */
export class ReportDownloads {
  readonly #db: ReportDb;
  readonly #files: ReportFileStore;

  constructor(db: ReportDb, files: ReportFileStore) {
    this.#db = db;
    this.#files = files;
  }

  async save(kind: string, filename: string, mediaType: string, ttlMs: number, write: (out: Writable) => Promise<void>): Promise<StoredReportFile> {
    const token = randomBytes(32).toString('base64url');
    const day = new Date().toISOString().slice(0, 10);
    const key = `${kind}/${day}/${token
      .slice(0, 16)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x')}-${filename.toLowerCase().replace(/[^a-z0-9.]+/g, '-')}`;
    const { size } = await this.#files.put(key, write);
    const expiresAt = new Date(Date.now() + ttlMs).toISOString();
    await this.#db
      .insertInto('report_files')
      .values({ token, file_key: key, kind, filename, media_type: mediaType, size_bytes: size, expires_at: expiresAt, created_at: new Date().toISOString() })
      .execute();
    return { token, filename, mediaType, size, expiresAt, url: `/api/v1/reports/files/${token}` };
  }

  /** The file for a token that has not expired. */
  async open(token: string): Promise<{ filename: string; mediaType: string; size: number; stream: NodeJS.ReadableStream } | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const row = await this.#db
      .selectFrom('report_files')
      .selectAll()
      .where('token', '=', token)
      .where('expires_at', '>', new Date().toISOString())
      .executeTakeFirst();
    if (!row) return undefined;
    const stream = await this.#files.get(row.file_key);
    return stream ? { filename: row.filename, mediaType: row.media_type, size: Number(row.size_bytes), stream } : undefined;
  }

  /** Deletes expired files (and, with `kind` and `keepDays`, files of that kind older than that). */
  async prune(options: { kind?: string; keepDays?: number } = {}): Promise<number> {
    const now = new Date().toISOString();
    let query = this.#db.selectFrom('report_files').select(['token', 'file_key']).where('expires_at', '<=', now);
    if (options.kind && options.keepDays !== undefined) {
      const cutoff = new Date(Date.now() - options.keepDays * 86_400_000).toISOString();
      const kind = options.kind;
      query = this.#db
        .selectFrom('report_files')
        .select(['token', 'file_key'])
        .where((eb) => eb.or([eb('expires_at', '<=', now), eb.and([eb('kind', '=', kind), eb('created_at', '<', cutoff)])]));
    }
    const rows = await query.execute();
    for (const row of rows) {
      await this.#files.delete(row.file_key);
      await this.#db.deleteFrom('report_files').where('token', '=', row.token).execute();
    }
    return rows.length;
  }
}
