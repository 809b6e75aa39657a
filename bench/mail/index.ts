// Benchmark: bulk mail throughput over one real SMTP server (bench/lib/smtp-sink.ts, its own process).
//   ai-stack          — send_bulk_emails' path: rows into the SQLite outbox in one transaction, then the
//                       delivery lanes claim → send → record each message (4 pooled connections)
//   ai-stack-sqlite-normal — the same with AI_STACK_SQLITE_SYNCHRONOUS=normal (no fsync per commit)
//   nodemailer-direct — the same messages straight to nodemailer's pool (4 connections), no outbox
// Rotated rounds (A B, B A, …), median of each; writes bench/results/mail.json.
// Run: npm run bench:mail   (BENCH_MAIL_MESSAGES, BENCH_MAIL_ROUNDS to change the size)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { loadConfig } from '../../src/config/index.ts';
import { migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { BUILTIN_TEMPLATES, createMailService, enqueueMany, TemplateRegistry, type OutboxMessage } from '../../src/mail/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { RESULTS_DIR } from '../lib/results.ts';
import { startSmtpSink } from '../lib/smtp.ts';

const MESSAGES = Number(process.env['BENCH_MAIL_MESSAGES'] ?? 2000);
const ROUNDS = Math.max(5, Number(process.env['BENCH_MAIL_ROUNDS'] ?? 5));
const CONNECTIONS = 4;

const sink = await startSmtpSink();
const { port, url: smtpUrl } = sink;

const templates = new TemplateRegistry(BUILTIN_TEMPLATES);
const messages = (round: number): OutboxMessage[] =>
  Array.from({ length: MESSAGES }, (_, i) => ({
    to: `user${i}@d${i % 20}.example.com`,
    ...templates.render('newsletter', i % 2 ? 'zh-CN' : 'en', { name: `用户 ${i}`, title: '月度通讯', body: '本月更新' }),
    from: 'Bench <bench@example.com>',
    batchId: `r${round}`,
    idempotencyKey: `r${round}:${i}`,
  }));

async function aiStack(round: number, synchronous: 'full' | 'normal'): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-bench-mail-'));
  const config = loadConfig({
    AI_STACK_SQLITE_SYNCHRONOUS: synchronous,
    AI_STACK_DATA_DIR: dir,
    AI_STACK_SMTP_URL: smtpUrl,
    AI_STACK_MAIL_RATE_PER_DOMAIN: '100000',
  });
  const db = await openDatabase(config.database);
  await migrateToLatest(db);
  const mail = createMailService({ db, config: config.mail, dataDir: dir, logger: silentLogger });
  const batch = messages(round);
  const start = performance.now();
  await db.kysely.transaction().execute((trx) => enqueueMany(trx, batch));
  const stats = await mail.delivery.deliver();
  const seconds = (performance.now() - start) / 1000;
  if (stats.sent !== MESSAGES) throw new Error(`ai-stack sent ${stats.sent} of ${MESSAGES}`);
  await mail.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return MESSAGES / seconds;
}

async function direct(round: number): Promise<number> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity });
  const batch = messages(round);
  const start = performance.now();
  await Promise.all(
    batch.map((m) => transport.sendMail({ from: m.from, to: m.to, subject: m.subject, text: m.text, ...(m.html === undefined ? {} : { html: m.html }) })),
  );
  const seconds = (performance.now() - start) / 1000;
  transport.close();
  return MESSAGES / seconds;
}

const PEERS = ['ai-stack', 'ai-stack-sqlite-normal', 'nodemailer-direct'] as const;
type Peer = (typeof PEERS)[number];
const runs: Record<Peer, number[]> = { 'ai-stack': [], 'ai-stack-sqlite-normal': [], 'nodemailer-direct': [] };
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order so no peer always runs first (cold) or last (after the others warmed the sink).
  const order = PEERS.map((_, i) => PEERS[(i + round) % PEERS.length] as Peer);
  for (const name of order) runs[name].push(name === 'nodemailer-direct' ? await direct(round) : await aiStack(round, name === 'ai-stack' ? 'full' : 'normal'));
  process.stdout.write(`round ${round + 1}/${ROUNDS}: ${PEERS.map((p) => `${p} ${runs[p].at(-1)!.toFixed(0)}/s`).join(', ')}\n`);
}
sink.stop();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] as number);
};
const result = {
  bulk_messages_per_s: {
    'ai-stack': median(runs['ai-stack']),
    'ai-stack-sqlite-normal': median(runs['ai-stack-sqlite-normal']),
    'nodemailer-direct': median(runs['nodemailer-direct']),
  },
  ratio: Number((median(runs['ai-stack']) / median(runs['nodemailer-direct'])).toFixed(2)),
  ratio_sqlite_normal: Number((median(runs['ai-stack-sqlite-normal']) / median(runs['nodemailer-direct'])).toFixed(2)),
  note: 'ai-stack: SQLite outbox with the default AI_STACK_SQLITE_SYNCHRONOUS=full (an fsync per recorded outcome batch); ai-stack-sqlite-normal: the same with synchronous=normal (survives a process crash, may re-send the last messages after power loss)',
  rounds: runs,
  messages_per_round: MESSAGES,
  connections: CONNECTIONS,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.versions.node}`,
  measured_at: new Date().toISOString(),
};
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(join(RESULTS_DIR, 'mail.json'), `${JSON.stringify(result, null, 2)}\n`);
console.table(
  PEERS.map((peer) => ({
    peer,
    'messages/s': result.bulk_messages_per_s[peer],
    'vs nodemailer-direct': (result.bulk_messages_per_s[peer] / result.bulk_messages_per_s['nodemailer-direct']).toFixed(2),
  })),
);
