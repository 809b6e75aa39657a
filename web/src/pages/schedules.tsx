import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { SortableTable } from '../components/sortable-table.tsx';
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

/** Beat's schedules: when each runs next; pause, resume and edit write an override through the schedules API. */
export function Schedules() {
  const { t, locale } = useConsole();
  const [items, setItems] = useState<ScheduleView[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const load = () => api<ScheduleView[]>('/admin/tasks/schedules').then(setItems, (e: Error) => setError(e.message));
  useEffect(() => void load(), []);
  const put = async (s: ScheduleView, body: Record<string, unknown>): Promise<boolean> => {
    setError(null);
    try {
      await api(`/admin/tasks/schedules/${encodeURIComponent(s.id)}`, { method: 'PUT', json: body });
      await load();
      return true;
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return false;
    }
  };
  const reset = async (s: ScheduleView) => {
    setError(null);
    try {
      await api(`/admin/tasks/schedules/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
      await load();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const current = items?.find((s) => s.id === editing);
  return (
    <>
      <h2>{t('schedules.title')}</h2>
      {error && (
        <p role="alert" class="error" data-testid="schedule-error">
          {t('app.error', { message: error })}
        </p>
      )}
      {items && (
        <SortableTable
          caption={t('schedules.title')}
          hideCaption
          testId="schedules"
          empty={t('schedules.none')}
          columns={[
            { header: t('schedules.id'), rowHeader: true, sortValue: (s: ScheduleView) => s.id, cell: (s) => s.id },
            { header: t('tasks.name'), sortValue: (s) => s.task, cell: (s) => s.task },
            { header: t('schedules.when'), cell: (s) => (s.cron ? `${s.cron} (${s.tz ?? 'UTC'})` : t('schedules.every', { seconds: (s.every ?? 0) / 1000 })) },
            {
              header: t('schedules.next'),
              // Paused ones last, like a run that never comes.
              sortValue: (s) => (s.enabled === false ? null : s.next),
              cell: (s) => (s.enabled === false ? t('schedules.paused') : s.next ? formatTime(locale, s.next) : '–'),
            },
            { header: t('schedules.source'), sortValue: (s) => s.source, cell: (s) => (s.source === 'code' ? t('schedules.code') : t('schedules.edited')) },
            {
              header: t('tasks.actions'),
              cell: (s) => (
                <>
                  <button type="button" onClick={() => void put(s, { enabled: s.enabled === false })}>
                    {s.enabled === false ? t('schedules.resume') : t('schedules.pause')}
                  </button>{' '}
                  <button type="button" onClick={() => setEditing(s.id)} aria-label={t('schedules.editOf', { id: s.id })}>
                    {t('schedules.edit')}
                  </button>
                  {s.source === 'edited' && (
                    <>
                      {' '}
                      <button type="button" onClick={() => void reset(s)} aria-label={t('schedules.resetOf', { id: s.id })}>
                        {t('schedules.reset')}
                      </button>
                    </>
                  )}
                </>
              ),
            },
          ]}
          rows={items}
          rowKey={(s) => s.id}
          rowTestId={(s) => `schedule-${s.id}`}
        />
      )}
      {current && <ScheduleForm key={current.id} schedule={current} onSave={(body) => put(current, body)} onClose={() => setEditing(null)} />}
    </>
  );
}

/**
 * Edits a schedule's timing: a cron expression with its time zone, or an interval in seconds. The server
 * validates (cron syntax, IANA zone, interval bounds) and its 400 names the field, shown above the table.
 */
function ScheduleForm({
  schedule,
  onSave,
  onClose,
}: {
  schedule: ScheduleView;
  onSave: (body: Record<string, unknown>) => Promise<boolean>;
  onClose: () => void;
}) {
  const { t } = useConsole();
  const [kind, setKind] = useState<'cron' | 'every'>(schedule.cron !== undefined ? 'cron' : 'every');
  const [cron, setCron] = useState(schedule.cron ?? '0 * * * *');
  const [tz, setTz] = useState(schedule.tz ?? 'UTC');
  const [seconds, setSeconds] = useState(String((schedule.every ?? 60_000) / 1000));
  const submit = async (e: Event) => {
    e.preventDefault();
    // An interval that is not a number is sent as such: the server's message names the field.
    const body = kind === 'cron' ? { cron: cron.trim(), tz: tz.trim() } : { every: seconds.trim() === '' ? Number.NaN : Math.round(Number(seconds) * 1000) };
    if (await onSave(body)) onClose();
  };
  return (
    <form class="card" data-testid="schedule-form" onSubmit={(e) => void submit(e)} aria-labelledby="schedule-form-title">
      <h3 id="schedule-form-title">{t('schedules.editing', { id: schedule.id })}</h3>
      <fieldset>
        <legend>{t('schedules.kind')}</legend>
        <label>
          <input type="radio" name="kind" value="cron" checked={kind === 'cron'} onChange={() => setKind('cron')} /> {t('schedules.cron')}
        </label>{' '}
        <label>
          <input type="radio" name="kind" value="every" checked={kind === 'every'} onChange={() => setKind('every')} /> {t('schedules.interval')}
        </label>
      </fieldset>
      {kind === 'cron' ? (
        <p>
          <label>
            {t('schedules.cron')} <input data-testid="schedule-cron" value={cron} onInput={(e) => setCron(e.currentTarget.value)} maxLength={200} />
          </label>{' '}
          <label>
            {t('schedules.tz')} <input data-testid="schedule-tz" value={tz} onInput={(e) => setTz(e.currentTarget.value)} maxLength={64} />
          </label>
        </p>
      ) : (
        <p>
          <label>
            {t('schedules.seconds')}{' '}
            <input data-testid="schedule-every" inputMode="decimal" value={seconds} onInput={(e) => setSeconds(e.currentTarget.value)} maxLength={12} />
          </label>
        </p>
      )}
      <p>
        <button type="submit">{t('schedules.save')}</button>{' '}
        <button type="button" onClick={onClose}>
          {t('common.cancel')}
        </button>
      </p>
    </form>
  );
}
