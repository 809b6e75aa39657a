import { useEffect, useState } from 'preact/hooks';
import { SortableTable } from '../components/sortable-table.tsx';
import { formatDuration } from '../components/progress.tsx';
import { useConsole } from '../context.ts';
import { formatNumber, formatTime } from '../i18n/index.ts';

export interface WorkerView {
  id: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: Record<string, number>;
  startedAt: number;
  lastSeen: number;
  /** Time since the last heartbeat when the server sent this, by the server's clock. */
  ageMs: number;
  processed: number;
  failed: number;
  active: { id: string; task: string; queue: string; startedAt: number }[];
}

/**
 * Live workers (Flower's worker list): heartbeat age counts up between the server's updates, from the age the
 * server measured plus the time since it arrived, so a browser whose clock is off still shows the right age.
 */
export function Workers({ workers }: { workers: WorkerView[] }) {
  const { t, locale } = useConsole();
  const [receivedAt, setReceivedAt] = useState(() => Date.now());
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => setReceivedAt(Date.now()), [workers]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <>
      <h2>{t('workers.title')}</h2>
      <SortableTable
        caption={t('workers.title')}
        hideCaption
        testId="workers"
        empty={t('workers.none')}
        columns={[
          {
            header: t('workers.id'),
            rowHeader: true,
            sortValue: (w: WorkerView) => w.id,
            cell: (w) => (
              <>
                {w.id}
                <div class="muted">{t('workers.since', { time: formatTime(locale, w.startedAt) })}</div>
              </>
            ),
          },
          { header: t('workers.concurrency'), cell: (w) => w.queues.map((q) => `${q} × ${formatNumber(locale, w.concurrency[q] ?? 0)}`).join(', ') },
          {
            header: t('workers.lastSeen'),
            sortValue: (w) => w.ageMs,
            cellAttributes: () => ({ 'data-testid': 'heartbeat' }),
            cell: (w) => (
              <>
                {formatTime(locale, w.lastSeen)}
                <div class="muted">{t('workers.ago', { time: formatDuration(locale, w.ageMs + Math.max(0, now - receivedAt)) })}</div>
              </>
            ),
          },
          { header: t('workers.running'), sortValue: (w) => w.active.length, cell: (w) => formatNumber(locale, w.active.length) },
          { header: t('tasks.completed'), sortValue: (w) => w.processed, cell: (w) => formatNumber(locale, w.processed) },
          { header: t('tasks.failed'), sortValue: (w) => w.failed, cell: (w) => formatNumber(locale, w.failed) },
        ]}
        rows={workers}
        rowKey={(w) => w.id}
        rowTestId={(w) => `worker-${w.id}`}
      />
    </>
  );
}
