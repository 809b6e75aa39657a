import { useState } from 'preact/hooks';
import { api, withQuery } from '../api.ts';
import type { Column } from '../components/data-table.tsx';
import { SortableTable } from '../components/sortable-table.tsx';
import { ProgressBar } from '../components/progress.tsx';
import { useConsole } from '../context.ts';
import { formatNumber, formatTime } from '../i18n/index.ts';
import { useJobEvents, useLive, type LiveJob } from '../live.ts';
import type { QueueInfo } from './queues.ts';
import { Schedules } from './schedules.tsx';
import { TaskDetail } from './task-detail.tsx';
import { useFilteredList } from './use-filtered-list.ts';
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
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [purging, setPurging] = useState<string | null>(null);
  const {
    list: jobs,
    loaded,
    reload: load,
    replace,
  } = useFilteredList(
    state,
    (filter) => api<TaskSummary[]>(withQuery('/admin/tasks/jobs', { limit: 50, state: filter || undefined })),
    (e) => setError(e.message),
  );
  // Live: a pushed job replaces its row (progress, new state); a job not listed yet, or one that left the filter's
  // state, brings a reload.
  useJobEvents((job) => {
    if (!jobs) return;
    const i = jobs.findIndex((j) => j.id === job.id && j.queue === job.queue);
    if (i < 0 || (state && job.state !== state)) {
      void load();
      return;
    }
    const next = [...jobs];
    next[i] = { ...next[i]!, ...job };
    replace(next);
  });

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
  if (!queues || !workers || (!loaded && !error)) return <p aria-busy="true">{t('app.loading')}</p>;
  return (
    <section data-testid="tasks">
      <h1>{t('tasks.title')}</h1>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {notice && <p role="status">{notice}</p>}
      <SortableTable
        caption={t('tasks.queues')}
        testId="queues"
        columns={[
          { header: t('tasks.queue'), rowHeader: true, sortValue: (q: QueueInfo) => q.name, cell: (q) => q.name },
          ...STATES.map((s): Column<QueueInfo> => ({
            key: s,
            header: t(`tasks.${s}`),
            sortValue: (q) => q.counts[s],
            cell: (q) => formatNumber(locale, q.counts[s]),
          })),
          { header: t('tasks.paused'), cell: (q) => (q.paused ? t('common.yes') : t('common.no')) },
          {
            header: t('tasks.actions'),
            cell: (q) =>
              purging === q.name ? (
                <>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => (
                      setPurging(null),
                      void act(() => api(`/admin/tasks/queues/${encodeURIComponent(q.name)}/purge`, { method: 'POST' }), t('tasks.purged', { queue: q.name }))
                    )}
                  >
                    {t('tasks.confirmPurge', { queue: q.name })}
                  </button>{' '}
                  <button type="button" onClick={() => setPurging(null)}>
                    {t('common.cancel')}
                  </button>
                </>
              ) : (
                <button type="button" onClick={() => setPurging(q.name)} aria-label={t('tasks.purgeOf', { queue: q.name })}>
                  {t('tasks.purge')}
                </button>
              ),
          },
        ]}
        rows={queues}
        rowKey={(q) => q.name}
      />
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
      {jobs ? (
        <SortableTable
          caption={t('tasks.recent')}
          hideCaption
          testId="jobs"
          empty={t('tasks.none')}
          columns={[
            { header: t('tasks.id'), rowHeader: true, sortValue: (job: TaskSummary) => job.id, cell: (job) => job.id },
            { header: t('tasks.name'), class: 'task-name', sortValue: (job) => job.name, cell: (job) => job.name },
            { header: t('tasks.queue'), sortValue: (job) => job.queue, cell: (job) => job.queue },
            {
              header: t('tasks.state'),
              class: 'job-state',
              sortValue: (job) => job.state,
              cell: (job) => (
                <>
                  {job.state}
                  {job.failedReason && <div class="error">{job.failedReason}</div>}
                </>
              ),
            },
            {
              header: t('tasks.progress'),
              sortValue: (job) => job.progress?.fraction,
              cell: (job) => (
                <>
                  {job.progress && (
                    <ProgressBar fraction={job.progress.fraction} remainingMs={job.progress.remainingMs} label={t('tasks.progressOf', { id: job.id })} />
                  )}
                  {job.progress?.message && <div class="muted">{job.progress.message}</div>}
                </>
              ),
            },
            { header: t('tasks.args'), cell: (job) => <code>{JSON.stringify(job.args)}</code> },
            { header: t('tasks.enqueued'), sortValue: (job) => job.enqueuedAt, cell: (job) => formatTime(locale, job.enqueuedAt) },
            { header: t('tasks.actions'), cell: (job) => <JobActions job={job} act={act} onDetails={() => setSelected(job.id)} /> },
          ]}
          rows={jobs}
          rowKey={(job) => `${job.queue}:${job.id}`}
          rowTestId={(job) => `job-${job.id}`}
        />
      ) : (
        <p aria-busy="true">{t('app.loading')}</p>
      )}
      {selected !== null && <TaskDetail id={selected} onClose={() => setSelected(null)} />}
      <Schedules />
    </section>
  );
}

/** A job's buttons: details always, retry once it failed, revoke while it may still run. */
function JobActions({ job, act, onDetails }: { job: TaskSummary; act: (what: () => Promise<unknown>, done: string) => Promise<void>; onDetails: () => void }) {
  const { t } = useConsole();
  return (
    <>
      <button type="button" onClick={onDetails} aria-label={t('tasks.detailOf', { id: job.id })}>
        {t('tasks.details')}
      </button>{' '}
      {job.state === 'failed' && (
        <button
          type="button"
          onClick={() => void act(() => api(`/admin/tasks/jobs/${encodeURIComponent(job.id)}/retry`, { method: 'POST' }), t('tasks.retried', { id: job.id }))}
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
    </>
  );
}
