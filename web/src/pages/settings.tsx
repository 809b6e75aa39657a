import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { useConsole } from '../context.ts';

interface DoctorReport {
  ok: boolean;
  settings: { name: string; value: string }[];
  checks: { name: string; ok: boolean; detail: string }[];
}

/** `ai-stack doctor` in the browser (GET /admin/doctor): each backend's check, and the effective configuration with secrets masked. */
export default function Settings() {
  const { t } = useConsole();
  const [report, setReport] = useState<DoctorReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const check = () => {
    setChecking(true);
    api<DoctorReport>('/admin/doctor')
      .then(
        (r) => (setReport(r), setError(null)),
        (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
      )
      .finally(() => setChecking(false));
  };
  useEffect(check, []);

  if (!report && !error) return <p aria-busy="true">{t('app.loading')}</p>;
  return (
    <section data-testid="settings">
      <h1>{t('settings.title')}</h1>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {report && (
        <>
          <h2>
            {t('settings.checks')}:{' '}
            <span data-testid="doctor-status" class={report.ok ? 'ok' : 'fail'}>
              {report.ok ? t('settings.allPass') : t('settings.someFail')}
            </span>
          </h2>
          <button type="button" onClick={check} disabled={checking}>
            {t('settings.checkAgain')}
          </button>
          <DataTable
            caption={t('settings.checks')}
            hideCaption
            testId="doctor-checks"
            columns={[
              { header: t('overview.check'), rowHeader: true, cell: (c: DoctorReport['checks'][number]) => c.name },
              { header: t('overview.status'), cell: (c) => <span class={c.ok ? 'ok' : 'fail'}>{c.ok ? t('settings.pass') : t('settings.fail')}</span> },
              { header: t('settings.detail'), cell: (c) => c.detail },
            ]}
            rows={report.checks}
            rowKey={(c) => c.name}
            rowTestId={(c) => `check-${c.name.replace(/\W+/g, '-')}`}
          />
          <h2>{t('settings.config')}</h2>
          <p class="muted">{t('settings.configHint')}</p>
          <DataTable
            caption={t('settings.config')}
            hideCaption
            testId="doctor-settings"
            columns={[
              { header: t('settings.setting'), rowHeader: true, cell: (s: DoctorReport['settings'][number]) => <code>{s.name}</code> },
              { header: t('settings.value'), cell: (s) => <code>{s.value}</code> },
            ]}
            rows={report.settings}
            rowKey={(s) => s.name}
          />
        </>
      )}
    </section>
  );
}
