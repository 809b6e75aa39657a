import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { useConsole } from '../context.ts';
import { formatNumber, formatTime } from '../i18n/index.ts';
import { ALERT_KINDS, SEVERITIES, type AlertRule, type Incident } from './alerts.ts';

/** What the form edits: a new rule, or an existing one (PUT replaces it whole, so a webhook secret is asked again). */
type Editing = { rule: AlertRule | null } | null;

/** Alert rules (create, edit, delete, evaluate now) and the newest incidents. */
export function AlertRules() {
  const { t, locale } = useConsole();
  const [rules, setRules] = useState<AlertRule[] | undefined>(undefined);
  const [incidents, setIncidents] = useState<Incident[] | undefined>(undefined);
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const when = (iso: string) => formatTime(locale, Date.parse(iso));
  const fail = (e: unknown) => setError(e instanceof Error ? e.message : String(e));

  const load = async () => {
    const [r, i] = await Promise.all([api<{ items: AlertRule[] }>('/admin/alerts/rules'), api<{ items: Incident[] }>('/admin/alerts/incidents?limit=50')]);
    setRules(r.items);
    setIncidents(i.items);
  };
  const act = async (work: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await work();
      setNotice(done);
      await load();
    } catch (e) {
      fail(e);
    }
  };
  useEffect(() => void load().catch(fail), []);

  const save = (e: SubmitEvent) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const text = (name: string) => {
      const value = data.get(name);
      return typeof value === 'string' ? value.trim() : '';
    };
    const url = text('webhook_url');
    const body = {
      name: text('name'),
      kind: text('kind'),
      threshold: Number(text('threshold')),
      ...(text('queue') ? { queue: text('queue') } : {}),
      severity: text('severity'),
      cooldown_seconds: Number(text('cooldown')),
      emails: text('emails')
        .split(/[\s,;]+/)
        .filter(Boolean),
      ...(url ? { webhook: { url, secret: text('webhook_secret') } } : {}),
      enabled: data.get('enabled') === 'on',
    };
    const rule = editing?.rule;
    void act(
      async () => {
        await api(rule ? `/admin/alerts/rules/${rule.id}` : '/admin/alerts/rules', { method: rule ? 'PUT' : 'POST', json: body });
        setEditing(null);
      },
      t('alerts.saved', { name: body.name }),
    );
  };

  return (
    <>
      <h2>{t('alerts.rules')}</h2>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {notice && <p role="status">{notice}</p>}
      <p class="row">
        <button type="button" onClick={() => setEditing({ rule: null })}>
          {t('alerts.add')}
        </button>
        <button type="button" onClick={() => void act(() => api('/admin/alerts/evaluate', { method: 'POST' }), t('alerts.evaluated'))}>
          {t('alerts.evaluate')}
        </button>
      </p>
      {editing && <RuleForm key={editing.rule?.id ?? 'new'} rule={editing.rule} onSubmit={save} onCancel={() => setEditing(null)} />}
      {rules && (
        <DataTable
          caption={t('alerts.rules')}
          hideCaption
          testId="alert-rules"
          empty={t('alerts.noRules')}
          columns={[
            { header: t('alerts.name'), rowHeader: true, class: 'rule-name', cell: (r: AlertRule) => r.name },
            {
              header: t('alerts.condition'),
              cell: (r) =>
                t(r.kind === 'disk_free_mb' ? 'alerts.below' : 'alerts.above', { kind: t(`alerts.kind.${r.kind}`), n: formatNumber(locale, r.threshold) }),
            },
            { header: t('alerts.severity'), cell: (r) => t(`alerts.severity.${r.severity}`) },
            { header: t('alerts.notify'), cell: (r) => [...r.emails, ...(r.webhook ? [r.webhook.url] : [])].join(', ') || '–' },
            { header: t('alerts.enabled'), cell: (r) => (r.enabled ? t('common.yes') : t('common.no')) },
            {
              header: t('tasks.actions'),
              cell: (r) =>
                deleting === r.id ? (
                  <>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => (
                        setDeleting(null),
                        void act(() => api(`/admin/alerts/rules/${r.id}`, { method: 'DELETE' }), t('alerts.deleted', { name: r.name }))
                      )}
                    >
                      {t('alerts.confirmDelete', { name: r.name })}
                    </button>{' '}
                    <button type="button" onClick={() => setDeleting(null)}>
                      {t('common.cancel')}
                    </button>
                  </>
                ) : (
                  <>
                    <button type="button" aria-label={t('alerts.editRule', { name: r.name })} onClick={() => setEditing({ rule: r })}>
                      {t('alerts.edit')}
                    </button>{' '}
                    <button type="button" class="danger" aria-label={t('alerts.deleteRule', { name: r.name })} onClick={() => setDeleting(r.id)}>
                      {t('common.delete')}
                    </button>
                  </>
                ),
            },
          ]}
          rows={rules}
          rowKey={(r) => r.id}
          rowTestId={(r) => `rule-${r.id}`}
        />
      )}
      <h2>{t('alerts.incidents')}</h2>
      {incidents && (
        <DataTable
          caption={t('alerts.incidents')}
          hideCaption
          testId="incidents"
          empty={t('alerts.noIncidents')}
          columns={[
            { header: t('alerts.rule'), rowHeader: true, cell: (i: Incident) => i.rule },
            { header: t('alerts.opened'), cell: (i) => when(i.opened_at) },
            { header: t('alerts.resolved'), cell: (i) => (i.resolved_at ? when(i.resolved_at) : t('alerts.stillOpen')) },
            { header: t('alerts.value'), cell: (i) => formatNumber(locale, i.value) },
            { header: t('alerts.summary'), cell: (i) => (i.notify_errors ? `${i.summary} (${i.notify_errors})` : i.summary) },
          ]}
          rows={incidents}
          rowKey={(i) => i.id}
        />
      )}
    </>
  );
}

function RuleForm({ rule, onSubmit, onCancel }: { rule: AlertRule | null; onSubmit: (e: SubmitEvent) => void; onCancel: () => void }) {
  const { t } = useConsole();
  const [webhook, setWebhook] = useState(rule?.webhook?.url ?? '');
  return (
    <form onSubmit={onSubmit} data-testid="rule-form">
      <fieldset class="form">
        <legend>{rule ? t('alerts.editRule', { name: rule.name }) : t('alerts.add')}</legend>
        <label>
          {t('alerts.name')} <input name="name" required maxLength={100} defaultValue={rule?.name ?? ''} autocomplete="off" />
        </label>
        <label>
          {t('alerts.kind')}{' '}
          <select name="kind">
            {ALERT_KINDS.map((k) => (
              <option key={k} value={k} selected={k === (rule?.kind ?? 'failed_tasks')}>
                {t(`alerts.kind.${k}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('alerts.threshold')} <input name="threshold" type="number" required min={0} step="any" defaultValue={String(rule?.threshold ?? 0)} />
        </label>
        <label>
          {t('alerts.queue')} <input name="queue" maxLength={64} defaultValue={rule?.queue ?? ''} autocomplete="off" />
        </label>
        <label>
          {t('alerts.severity')}{' '}
          <select name="severity">
            {SEVERITIES.map((s) => (
              <option key={s} value={s} selected={s === (rule?.severity ?? 'warning')}>
                {t(`alerts.severity.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('alerts.cooldown')} <input name="cooldown" type="number" required min={0} max={604800} defaultValue={String(rule?.cooldown_seconds ?? 300)} />
        </label>
        <label>
          {t('alerts.emails')} <input name="emails" defaultValue={rule?.emails.join(', ') ?? ''} autocomplete="off" />
        </label>
        <label>
          {t('alerts.webhook')} <input name="webhook_url" type="url" value={webhook} onInput={(e) => setWebhook(e.currentTarget.value)} autocomplete="off" />
        </label>
        {webhook && (
          <label>
            {t('alerts.webhookSecret')} <input name="webhook_secret" type="password" required minLength={32} maxLength={200} autocomplete="new-password" />
          </label>
        )}
        <label>
          <input name="enabled" type="checkbox" defaultChecked={rule?.enabled ?? true} /> {t('alerts.enabled')}
        </label>
        <p class="row">
          <button type="submit">{t('alerts.save')}</button>
          <button type="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        </p>
      </fieldset>
    </form>
  );
}
