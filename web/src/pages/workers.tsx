import { useEffect, useState } from 'preact/hooks';
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
      {workers.length === 0 ? (
        <p>{t('workers.none')}</p>
      ) : (
        <table data-testid="workers">
          <thead>
            <tr>
              <th>{t('workers.id')}</th>
              <th>{t('workers.concurrency')}</th>
              <th>{t('workers.lastSeen')}</th>
              <th>{t('workers.running')}</th>
              <th>{t('tasks.completed')}</th>
              <th>{t('tasks.failed')}</th>
            </tr>
          </thead>
          <tbody>
            {workers.map((w) => (
              <tr key={w.id} data-testid={`worker-${w.id}`}>
                <td>
                  {w.id}
                  <div class="muted">{t('workers.since', { time: formatTime(locale, w.startedAt) })}</div>
                </td>
                <td>{w.queues.map((q) => `${q} × ${formatNumber(locale, w.concurrency[q] ?? 0)}`).join(', ')}</td>
                <td data-testid="heartbeat">
                  {formatTime(locale, w.lastSeen)}
                  <div class="muted">{t('workers.ago', { time: formatDuration(locale, w.ageMs + Math.max(0, now - receivedAt)) })}</div>
                </td>
                <td>{formatNumber(locale, w.active.length)}</td>
                <td>{formatNumber(locale, w.processed)}</td>
                <td>{formatNumber(locale, w.failed)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
