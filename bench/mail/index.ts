// Benchmark: bulk mail throughput over one real SMTP server (bench/lib/smtp-sink.ts, its own process).
//   ai-stack          — send_bulk_emails' path: rows into the SQLite outbox in one transaction, then the
//                       delivery lanes claim → send → record each message (4 pooled connections)
//   ai-stack-sqlite-normal — the same with AI_STACK_SQLITE_SYNCHRONOUS=normal (no fsync for any commit)
//   nodemailer-direct — the same messages straight to nodemailer's pool (4 connections), no outbox
// A warm-up, then ≥ 5 rounds in rotated order (bench/lib/rounds.ts); medians of each side and of the
// per-round ratios, with every round's raw figures and the machine, into bench/results/mail.json.
// Run: npm run bench:mail   (BENCH_MAIL_MESSAGES, BENCH_MAIL_ROUNDS to change the size)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { loadConfig } from '../../src/config/index.ts';
import { migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { BUILTIN_TEMPLATES, createMailService, enqueueMany, TemplateRegistry, type OutboxMessage } from '../../src/mail/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import { startSmtpSink } from '../lib/smtp.ts';
import { tidy } from '../lib/stats.ts';

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

interface Figures {
  messages_per_s: number;
}

async function aiStack(round: number, synchronous: 'full' | 'normal'): Promise<Figures> {
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
  return { messages_per_s: MESSAGES / seconds };
}

async function direct(round: number): Promise<Figures> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity });
  const batch = messages(round);
  const start = performance.now();
  await Promise.all(
    batch.map((m) => transport.sendMail({ from: m.from, to: m.to, subject: m.subject, text: m.text, ...(m.html === undefined ? {} : { html: m.html }) })),
  );
  const seconds = (performance.now() - start) / 1000;
  transport.close();
  return { messages_per_s: MESSAGES / seconds };
}

const run = await beginRun('node bench/mail/index.ts', machineFacts({ packages: ['nodemailer', 'smtp-server'] }));
console.log(
  `mail bench: ${MESSAGES} messages per round, ${CONNECTIONS} SMTP connections each side, ${ROUNDS} rotated rounds; load ${run.machine.loadBefore.join('/')}`,
);
// Each run enqueues its own batch (fresh idempotency keys and outbox): the round counter only names it.
let runNumber = 0;
const rounds = await rotatedRounds<Figures>(
  [
    { name: 'ai-stack', run: () => aiStack(runNumber++, 'full') },
    { name: 'ai-stack-sqlite-normal', run: () => aiStack(runNumber++, 'normal') },
    { name: 'nodemailer-direct', run: () => direct(runNumber++) },
  ],
  {
    rounds: ROUNDS,
    onRound: (r, f) =>
      console.log(
        `round ${r + 1}/${ROUNDS}: ${Object.entries(f)
          .map(([name, x]) => `${name} ${Math.round(x.messages_per_s)}/s`)
          .join(', ')}`,
      ),
  },
);
sink.stop();

const medians = mediansOf(rounds, (f) => f.messages_per_s);
const summary = { bulk_messages_per_s: Object.fromEntries(Object.entries(medians).map(([k, v]) => [k, tidy(v)])) };
const ratios = {
  'bulk_messages_per_s: ai-stack / nodemailer-direct': ratioOfRounds(rounds, (f) => f.messages_per_s, 'ai-stack', 'nodemailer-direct'),
  'bulk_messages_per_s: ai-stack-sqlite-normal / nodemailer-direct': ratioOfRounds(
    rounds,
    (f) => f.messages_per_s,
    'ai-stack-sqlite-normal',
    'nodemailer-direct',
  ),
};
console.table(summary);
for (const [k, s] of Object.entries(ratios)) console.log(`${k}: median ${s.median.toFixed(2)} (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)})`);
const finished = run.finish({
  settings: {
    messagesPerRound: MESSAGES,
    rounds: ROUNDS,
    smtpServer: 'smtp-server in its own process, accepts and discards (bench/lib/smtp-sink.ts), the same for every side',
    connections: `${CONNECTIONS} pooled nodemailer connections on every side (maxMessages: Infinity)`,
    content: 'the newsletter template, en and zh-CN alternating, one recipient per message, the same messages on every side',
    'ai-stack':
      'outbox rows inserted in one transaction (SQLite, synchronous=full), then claimed, sent and recorded by the delivery lanes; timed from the insert',
    'ai-stack-sqlite-normal': 'the same with AI_STACK_SQLITE_SYNCHRONOUS=normal (the insert too commits without fsync)',
    'nodemailer-direct': 'sendMail for every message at once into the pool; no outbox, no record',
  },
  ratios,
  rounds,
});
if (finished.machine.loadBefore[0]! > 1.5 || (finished.machine.loadAfter?.[0] ?? 0) > 1.5)
  finished.notes = [
    `measured under load (load average ${finished.machine.loadBefore.join('/')} before, ${finished.machine.loadAfter?.join('/')} after): rerun on an idle machine before publishing`,
  ];
console.log(`wrote ${writeResults('mail', 'bulk', summary, finished)}`);
process.exit(0);
