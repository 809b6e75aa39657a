import { api } from '../api.ts';
import { useConsole } from '../context.ts';
import { formatNumber, formatTime } from '../i18n/index.ts';
import { loadQueues } from './queues.ts';
import { usePoll } from './use-poll.ts';

interface TaskSummary {
  id: string;
  name: string;
  queue: string;
  state: string;
  args: unknown;
  enqueuedAt: number;
}

const STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;

/** Every value from the server is rendered as text by Preact (never as HTML), so task names and arguments stay inert. */
export default function Tasks() {
  const { t, locale } = useConsole();
  const queues = usePoll(loadQueues);
  const jobs = usePoll(() => api<TaskSummary[]>('/admin/tasks/jobs?limit=50'));
  const error = queues.error ?? jobs.error;
  return (
    <section data-testid="tasks">
      <h1>{t('tasks.title')}</h1>
      {error && <p role="alert" class="error">{t('app.error', { message: error.message })}</p>}
      {queues.data && (
        <table>
          <thead>
            <tr><th>{t('tasks.queue')}</th>{STATES.map((s) => <th key={s}>{t(`tasks.${s}`)}</th>)}<th>{t('tasks.paused')}</th></tr>
          </thead>
          <tbody>
            {queues.data.map((q) => (
              <tr key={q.name}>
                <td>{q.name}</td>
                {STATES.map((s) => <td key={s}>{formatNumber(locale, q.counts[s])}</td>)}
                <td>{q.paused ? t('common.yes') : t('common.no')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t('tasks.recent')}</h2>
      {jobs.data && jobs.data.length === 0 && <p>{t('tasks.none')}</p>}
      {jobs.data && jobs.data.length > 0 && (
        <table data-testid="jobs">
          <thead>
            <tr><th>{t('tasks.id')}</th><th>{t('tasks.name')}</th><th>{t('tasks.queue')}</th><th>{t('tasks.state')}</th><th>{t('tasks.args')}</th><th>{t('tasks.enqueued')}</th></tr>
          </thead>
          <tbody>
            {jobs.data.map((job) => (
              <tr key={`${job.queue}:${job.id}`}>
                <td>{job.id}</td>
                <td class="task-name">{job.name}</td>
                <td>{job.queue}</td>
                <td>{job.state}</td>
                <td><code>{JSON.stringify(job.args)}</code></td>
                <td>{formatTime(locale, job.enqueuedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
