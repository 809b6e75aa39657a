import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ProgressBar } from '../components/progress.tsx';
import { useConsole } from '../context.ts';
import { useJobEvents, type LiveJob } from '../live.ts';
import type { Definition } from './pivot-model.ts';

const FORMATS = ['xlsx', 'csv'] as const;
const POLL_MS = 1_000;

interface TaskState {
  id: string;
  state: string;
  result?: { url: string; filename: string };
  error?: { message?: string };
}

/**
 * Exports the current pivot through the export task (`Prefer: respond-async`): the file is written by a worker,
 * progress comes from the live job events, and the download link from the task's result.
 */
export function PivotExport({ current }: { current: () => Definition }) {
  const { t } = useConsole();
  const [task, setTask] = useState<{ id: string; location: string } | null>(null);
  const [progress, setProgress] = useState<LiveJob['progress'] | undefined>(undefined);
  const [file, setFile] = useState<{ url: string; filename: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const taskId = useRef<string | null>(null);

  useJobEvents((job) => {
    if (job.id === taskId.current && job.progress) setProgress(job.progress);
  });

  // Poll the task until it ends: job events carry progress, the task endpoint carries the result.
  useEffect(() => {
    if (!task) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const state = await api<TaskState>(task.location);
        if (stopped) return;
        if (state.state === 'SUCCESS' && state.result) {
          setFile(state.result);
          setTask(null);
          return;
        }
        if (state.state === 'FAILURE' || state.state === 'REVOKED') {
          setError(state.error?.message ?? state.state);
          setTask(null);
          return;
        }
      } catch (e) {
        if (!stopped) setError(e instanceof Error ? e.message : String(e));
        if (!stopped) setTask(null);
        return;
      }
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [task]);

  const start = async (format: (typeof FORMATS)[number]) => {
    setError(null);
    setFile(null);
    setProgress(undefined);
    try {
      const accepted = await api<{ task: { id: string }; location: string }>(`/api/v1/reports/run?format=${format}`, {
        method: 'POST',
        json: current(),
        headers: { prefer: 'respond-async' },
      });
      taskId.current = accepted.task.id;
      setTask({ id: accepted.task.id, location: accepted.location });
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <div class="row" data-testid="pivot-export">
      {FORMATS.map((f) => (
        <button key={f} type="button" disabled={task !== null} data-testid={`pivot-export-${f}`} onClick={() => void start(f)}>
          {t('pivot.export', { format: f.toUpperCase() })}
        </button>
      ))}
      {task && <ProgressBar fraction={progress?.fraction ?? 0} remainingMs={progress?.remainingMs} label={t('pivot.exporting')} />}
      {file && (
        <a class="button" href={file.url} download data-testid="pivot-download">
          {t('pivot.download', { name: file.filename })}
        </a>
      )}
      {error && (
        <p role="alert" class="error">
          {t('pivot.exportFailed', { message: error })}
        </p>
      )}
    </div>
  );
}
