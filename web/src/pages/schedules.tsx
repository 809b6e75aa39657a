import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { useConsole } from '../context.ts';
import { formatTime } from '../i18n/index.ts';

interface ScheduleView {
  id: string;
  task: string;
  cron?: string;
  every?: number;
  tz?: string;
  enabled?: boolean;
  queue: string;
  next?: number;
  source: 'code' | 'edited';
}

/** Beat's schedules: when each runs next; pause and resume write an override through the schedules API. */
export function Schedules() {
  const { t, locale } = useConsole();
  const [items, setItems] = useState<ScheduleView[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const load = () => api<ScheduleView[]>('/admin/tasks/schedules').then(setItems, (e: Error) => setError(e.message));
  useEffect(() => void load(), []);
  const toggle = async (s: ScheduleView) => {
    try {
      await api(`/admin/tasks/schedules/${encodeURIComponent(s.id)}`, { method: 'PUT', json: { enabled: s.enabled === false } });
      await load();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <>
      <h2>{t('schedules.title')}</h2>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {items && items.length === 0 && <p>{t('schedules.none')}</p>}
      {items && items.length > 0 && (
        <table data-testid="schedules">
          <thead>
            <tr>
              <th>{t('schedules.id')}</th>
              <th>{t('tasks.name')}</th>
              <th>{t('schedules.when')}</th>
              <th>{t('schedules.next')}</th>
              <th>{t('schedules.source')}</th>
              <th>{t('tasks.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id}>
                <td>{s.id}</td>
                <td>{s.task}</td>
                <td>{s.cron ? `${s.cron}${s.tz ? ` (${s.tz})` : ''}` : t('schedules.every', { seconds: Math.round((s.every ?? 0) / 1000) })}</td>
                <td>{s.enabled === false ? t('schedules.paused') : s.next ? formatTime(locale, s.next) : '–'}</td>
                <td>{s.source === 'code' ? t('schedules.code') : t('schedules.edited')}</td>
                <td>
                  <button type="button" onClick={() => void toggle(s)}>
                    {s.enabled === false ? t('schedules.resume') : t('schedules.pause')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
