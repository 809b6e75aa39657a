import { useEffect, useState } from 'preact/hooks';
import { api, withQuery } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { useConsole } from '../context.ts';
import { formatNumber, formatTime } from '../i18n/index.ts';
import { AlertRules } from './alert-rules.tsx';

const STATUSES = ['pending', 'sending', 'sent', 'failed', 'suppressed'] as const;
const PAGE = 100;
const FILES_SHOWN = 50;

interface OutboxRow {
  id: number;
  message_id: string;
  batch_id: string | null;
  kind: string;
  recipient: string;
  subject: string;
  status: (typeof STATUSES)[number];
  attempts: number;
  last_error: string | null;
  sent_at: string | null;
  created_at: string;
}

interface EmlFile {
  file: string;
  bytes: number;
  modifiedAt: string;
}

/** One send (a batch, or a lone message) with the status of each of its recipients. */
interface Message {
  key: string;
  subject: string;
  kind: string;
  createdAt: string;
  recipients: OutboxRow[];
}

function byMessage(rows: OutboxRow[]): Message[] {
  const messages = new Map<string, Message>();
  for (const row of rows) {
    const key = row.batch_id ?? row.message_id;
    const message = messages.get(key) ?? { key, subject: row.subject, kind: row.kind, createdAt: row.created_at, recipients: [] };
    message.recipients.push(row);
    messages.set(key, message);
  }
  return [...messages.values()];
}

/** The outbox (per recipient), the embedded .eml files, and alert rules with their incidents. */
export default function Mail() {
  const { t, locale } = useConsole();
  const [status, setStatus] = useState('');
  const [rows, setRows] = useState<OutboxRow[] | undefined>(undefined);
  const [more, setMore] = useState(false);
  const [files, setFiles] = useState<{ transport: string; dir?: string; files: EmlFile[] } | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const fail = (e: unknown) => setError(e instanceof Error ? e.message : String(e));
  const when = (iso: string | null) => (iso ? formatTime(locale, Date.parse(iso)) : '–');

  const load = async (before?: number) => {
    const page = await api<{ items: OutboxRow[] }>(
      withQuery('/admin/mail/outbox', { order: 'desc', limit: PAGE, status: status || undefined, before_id: before }),
    );
    setRows((shown) => (before === undefined ? page.items : [...(shown ?? []), ...page.items]));
    setMore(page.items.length === PAGE);
  };
  useEffect(() => void load().catch(fail), [status]);
  useEffect(() => {
    api<{ transport: string; dir?: string; files: EmlFile[] }>('/admin/mail/outbox/files').then(
      (list) => setFiles({ ...list, files: [...list.files].sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt)) }),
      fail,
    );
  }, []);

  if ((!rows || !files) && !error) return <p aria-busy="true">{t('app.loading')}</p>;
  return (
    <section data-testid="mail">
      <h1>{t('mail.title')}</h1>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      <h2>{t('mail.outbox')}</h2>
      <label>
        {t('mail.status')}{' '}
        <select value={status} onChange={(e) => setStatus(e.currentTarget.value)} data-testid="mail-status-filter">
          <option value="">{t('common.all')}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`mail.status.${s}`)}
            </option>
          ))}
        </select>
      </label>
      {rows && (
        <DataTable
          caption={t('mail.outboxCaption')}
          hideCaption
          testId="outbox"
          empty={t('mail.none')}
          columns={[
            { header: t('mail.subject'), rowHeader: true, class: 'mail-subject', cell: (m: Message) => m.subject },
            { header: t('mail.kind'), cell: (m) => m.kind },
            { header: t('documents.created'), cell: (m) => when(m.createdAt) },
            {
              header: t('mail.recipients'),
              cell: (m) => (
                <ul class="plain">
                  {m.recipients.map((r) => (
                    <li key={r.id} data-testid="recipient">
                      {r.recipient}: <span class={`mail-${r.status}`}>{t(`mail.status.${r.status}`)}</span>
                      {r.attempts > 1 && <span class="muted"> {t('mail.attempts', { n: r.attempts })}</span>}
                      {r.last_error && <div class="muted">{r.last_error}</div>}
                    </li>
                  ))}
                </ul>
              ),
            },
          ]}
          rows={byMessage(rows)}
          rowKey={(m) => m.key}
          rowTestId={(m) => `message-${m.key}`}
        />
      )}
      {rows && more && (
        <button type="button" onClick={() => void load(rows.at(-1)?.id).catch(fail)}>
          {t('mail.older')}
        </button>
      )}
      <h2>{t('mail.files')}</h2>
      {files && files.transport !== 'eml' && <p>{t('mail.smtp')}</p>}
      {files && files.transport === 'eml' && (
        <>
          <p class="muted">{t('mail.filesIn', { dir: files.dir ?? '', count: formatNumber(locale, files.files.length) })}</p>
          <DataTable
            caption={t('mail.files')}
            hideCaption
            testId="eml-files"
            empty={t('mail.noFiles')}
            columns={[
              {
                header: t('mail.file'),
                rowHeader: true,
                cell: (f: EmlFile) => (
                  <a href={`/admin/mail/outbox/files/${encodeURIComponent(f.file)}`} download={f.file}>
                    {f.file}
                  </a>
                ),
              },
              { header: t('documents.size'), cell: (f) => formatNumber(locale, f.bytes) },
              { header: t('mail.written'), cell: (f) => when(f.modifiedAt) },
            ]}
            rows={files.files.slice(0, FILES_SHOWN)}
            rowKey={(f) => f.file}
          />
        </>
      )}
      <AlertRules />
    </section>
  );
}
