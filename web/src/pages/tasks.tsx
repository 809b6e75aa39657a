import { useEffect, useState } from 'preact/hooks';
import { api, withQuery } from '../api.ts';
import { ProgressBar } from '../components/progress.tsx';
import { useConsole } from '../context.ts';
import { formatNumber, formatTime } from '../i18n/index.ts';
import { useJobEvents, useLive, type LiveJob } from '../live.ts';
import type { QueueInfo } from './queues.ts';
import { Schedules } from './schedules.tsx';
import { TaskDetail } from './task-detail.tsx';
import { Workers, type WorkerView } from './workers.tsx';

interface TaskSummary extends LiveJob {
  name: string;
  args: unknown;
  enqueuedAt: number;
  failedReason?: string;
  attemptsMade: number;
}

const STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
const REVOCABLE = new Set(['waiting', 'active', 'delayed', 'prioritized']);

/** Every value from the server is rendered as text by Preact (never as HTML), so task names and arguments stay inert. */
export default function Tasks() {
  const { t, locale } = useConsole();
  const queues = useLive<QueueInfo[]>('queues');
  const workers = useLive<WorkerView[]>('workers');
  const [selected, setSelected] = useState<string | null>(null);
  const [state, setState] = useState('');
  const [jobs, setJobs] = useState<TaskSummary[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [purging, setPurging] = useState<string | null>(null);

  const load = () =>
    api<TaskSummary[]>(withQuery('/admin/tasks/jobs', { limit: 50, state: state || undefined })).then(setJobs, (e: Error) => setError(e.message));
  useEffect(() => void load(), [state]);
  // Live: a pushed job replaces its row (progress, new state); a job not listed yet brings a reload.
  useJobEvents((job) =>
    setJobs((list) => {
      if (!list) return list;
      const i = list.findIndex((j) => j.id === job.id && j.queue === job.queue);
      if (i < 0) {
        void load();
        return list;
      }
      const next = [...list];
      next[i] = { ...next[i]!, ...job };
      return next;
    }),
  );

  const act = async (what: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await what();
      setNotice(done);
      await load();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  // Shown whole once queues, workers (same event stream, same tick) and tasks are in (schedules come last,
  // below): no layout shift as data arrives.
  if (!queues || !workers || (!jobs && !error)) return <p aria-busy="true">{t('app.loading')}</p>;
  return (
    <section data-testid="tasks">
      <h1>{t('tasks.title')}</h1>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {notice && <p role="status">{notice}</p>}
      {queues && (
        <table>
          <thead>
            <tr>
              <th>{t('tasks.queue')}</th>
              {STATES.map((s) => (
                <th key={s}>{t(`tasks.${s}`)}</th>
              ))}
              <th>{t('tasks.paused')}</th>
              <th>{t('tasks.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {queues.map((q) => (
              <tr key={q.name}>
                <td>{q.name}</td>
                {STATES.map((s) => (
                  <td key={s}>{formatNumber(locale, q.counts[s])}</td>
                ))}
                <td>{q.paused ? t('common.yes') : t('common.no')}</td>
                <td>
                  {purging === q.name ? (
                    <>
                      <button
                        type="button"
                        class="danger"
                        onClick={() => (
                          setPurging(null),
                          void act(
                            () => api(`/admin/tasks/queues/${encodeURIComponent(q.name)}/purge`, { method: 'POST' }),
                            t('tasks.purged', { queue: q.name }),
                          )
                        )}
                      >
                        {t('tasks.confirmPurge', { queue: q.name })}
                      </button>{' '}
                      <button type="button" onClick={() => setPurging(null)}>
                        {t('common.cancel')}
                      </button>
                    </>
                  ) : (
                    <button type="button" onClick={() => setPurging(q.name)}>
                      {t('tasks.purge')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Workers workers={workers} />
      <h2>{t('tasks.recent')}</h2>
      <label>
        {t('tasks.state')}{' '}
        <select value={state} onChange={(e) => setState(e.currentTarget.value)} data-testid="state-filter">
          <option value="">{t('common.all')}</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {t(`tasks.${s}`)}
            </option>
          ))}
        </select>
      </label>
      {jobs && jobs.length === 0 && <p>{t('tasks.none')}</p>}
      {jobs && jobs.length > 0 && (
        <table data-testid="jobs">
          <thead>
            <tr>
              <th>{t('tasks.id')}</th>
              <th>{t('tasks.name')}</th>
              <th>{t('tasks.queue')}</th>
              <th>{t('tasks.state')}</th>
              <th>{t('tasks.progress')}</th>
              <th>{t('tasks.args')}</th>
              <th>{t('tasks.enqueued')}</th>
              <th>{t('tasks.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={`${job.queue}:${job.id}`} data-testid={`job-${job.id}`}>
                <td>{job.id}</td>
                <td class="task-name">{job.name}</td>
                <td>{job.queue}</td>
                <td class="job-state">
                  {job.state}
                  {job.failedReason && <div class="error">{job.failedReason}</div>}
                </td>
                <td>
                  {job.progress && (
                    <ProgressBar fraction={job.progress.fraction} remainingMs={job.progress.remainingMs} label={t('tasks.progressOf', { id: job.id })} />
                  )}
                  {job.progress?.message && <div class="muted">{job.progress.message}</div>}
                </td>
                <td>
                  <code>{JSON.stringify(job.args)}</code>
                </td>
                <td>{formatTime(locale, job.enqueuedAt)}</td>
                <td>
                  <button type="button" onClick={() => setSelected(job.id)} aria-label={t('tasks.detailOf', { id: job.id })}>
                    {t('tasks.details')}
                  </button>{' '}
                  {job.state === 'failed' && (
                    <button
                      type="button"
                      onClick={() =>
                        void act(() => api(`/admin/tasks/jobs/${encodeURIComponent(job.id)}/retry`, { method: 'POST' }), t('tasks.retried', { id: job.id }))
                      }
                    >
                      {t('tasks.retry')}
                    </button>
                  )}
                  {REVOCABLE.has(job.state) && (
                    <button
                      type="button"
                      onClick={() =>
                        void act(
                          () => api(`/admin/tasks/jobs/${encodeURIComponent(job.id)}/revoke`, { method: 'POST', json: { terminate: job.state === 'active' } }),
                          t('tasks.revoked', { id: job.id }),
                        )
                      }
                    >
                      {t('tasks.revoke')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected !== null && <TaskDetail id={selected} onClose={() => setSelected(null)} />}
      <Schedules />
    </section>
  );
}
