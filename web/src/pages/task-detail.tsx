import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { formatDuration } from '../components/progress.tsx';
import { useConsole } from '../context.ts';
import { formatNumber, formatTime } from '../i18n/index.ts';

interface Attempt {
  attempt: number;
  startedAt: number;
  finishedAt: number;
  error: { name: string; message: string; stack?: string };
}

interface TaskDetailView {
  id: string;
  name: string;
  queue: string;
  state: string;
  celeryState: string;
  attemptsMade: number;
  startedAt?: number;
  finishedAt?: number;
  error: { name: string; message: string } | null;
  attempts: Attempt[];
  /** BullMQ's own stack traces, newest last: shown when the attempt history has expired. */
  stacktrace: string[];
}

/** One task's attempt history: each failed attempt's times, error and traceback, and how the last one ended. */
export function TaskDetail({ id, onClose }: { id: string; onClose: () => void }) {
  const { t, locale } = useConsole();
  const [task, setTask] = useState<TaskDetailView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setTask(null);
    setError(null);
    api<TaskDetailView>(`/admin/tasks/jobs/${encodeURIComponent(id)}`).then(setTask, (e: Error) => setError(e.message));
  }, [id]);
  const time = (ms: number | undefined) => (ms ? formatTime(locale, ms) : '–');
  return (
    <article class="card" data-testid="task-detail" aria-labelledby="task-detail-title">
      <h2 id="task-detail-title">{t('tasks.detail', { id })}</h2>
      <p>
        <button type="button" onClick={onClose}>
          {t('common.close')}
        </button>
      </p>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {task && (
        <>
          <dl class="pairs">
            <dt>{t('tasks.name')}</dt>
            <dd>{task.name}</dd>
            <dt>{t('tasks.state')}</dt>
            <dd data-testid="task-state">
              {task.state} ({task.celeryState})
            </dd>
            <dt>{t('tasks.attemptsMade')}</dt>
            <dd>{formatNumber(locale, task.attemptsMade)}</dd>
            {task.error && [
              <dt key="e">{t('tasks.error')}</dt>,
              <dd key="ev" class="error">
                {task.error.name}: {task.error.message}
              </dd>,
            ]}
          </dl>
          <h3>{t('tasks.attempts')}</h3>
          {task.attempts.length === 0 ? (
            <p class="muted">{t('tasks.noAttempts')}</p>
          ) : (
            <ol class="attempts" data-testid="attempts">
              {task.attempts.map((a) => (
                <li key={a.attempt} data-testid={`attempt-${a.attempt}`}>
                  <strong>{t('tasks.attempt', { n: a.attempt })}</strong>{' '}
                  <span class="muted">
                    {t('tasks.attemptTimes', { start: time(a.startedAt), end: time(a.finishedAt), took: formatDuration(locale, a.finishedAt - a.startedAt) })}
                  </span>
                  <div class="error" data-testid="attempt-error">
                    {a.error.name}: {a.error.message}
                  </div>
                  {a.error.stack && (
                    <details>
                      <summary>{t('tasks.traceback')}</summary>
                      <pre class="text">{a.error.stack}</pre>
                    </details>
                  )}
                </li>
              ))}
            </ol>
          )}
          {task.attempts.length === 0 && task.stacktrace.length > 0 && (
            <details>
              <summary>{t('tasks.traceback')}</summary>
              <pre class="text">{task.stacktrace.join('\n\n')}</pre>
            </details>
          )}
        </>
      )}
    </article>
  );
}
