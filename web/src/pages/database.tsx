import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { SortableTable } from '../components/sortable-table.tsx';
import { useConsole } from '../context.ts';
import { formatNumber } from '../i18n/index.ts';

interface Pool {
  dialect: string;
  total: number;
  idle: number;
  active: number;
  waiting: number;
  timeouts: number;
}

interface SlowQuery {
  fingerprint: string;
  query: string;
  calls: number;
  slowCalls: number;
  meanMs: number;
  p95Ms: number;
  maxMs: number;
}

interface Advice {
  data: { indexes?: { sql?: string; speedup?: number }[] }[];
  indexes?: { sql?: string; statement?: string; speedup?: number }[];
}

/** pgHero's role: the pool, slow statements by fingerprint, and index advice verified by the planner. */
export default function Database() {
  const { t, locale } = useConsole();
  const [pool, setPool] = useState<Pool | null>(null);
  const [slow, setSlow] = useState<{ enabled: boolean; thresholdMs: number | null; data: SlowQuery[] } | null>(null);
  const [advice, setAdvice] = useState<Advice | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fail = (e: unknown) => setError(e instanceof Error ? e.message : String(e));

  useEffect(() => {
    void Promise.all([
      api<Pool>('/admin/db/pool'),
      api<{ enabled: boolean; thresholdMs: number | null; data: SlowQuery[] }>('/admin/db/slow-queries?limit=20'),
    ]).then(([p, s]) => {
      setPool(p);
      setSlow(s);
    }, fail);
  }, []);

  if ((!pool || !slow) && !error) return <p aria-busy="true">{t('app.loading')}</p>;
  const ms = (v: number) => t('database.ms', { n: formatNumber(locale, Math.round(v * 10) / 10) });
  return (
    <section data-testid="database">
      <h1>{t('database.title')}</h1>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {pool && (
        <dl class="pairs" data-testid="pool">
          <dt>{t('database.dialect')}</dt>
          <dd>{pool.dialect}</dd>
          <dt>{t('database.connections')}</dt>
          <dd>{t('database.poolCounts', { total: pool.total, active: pool.active, idle: pool.idle, waiting: pool.waiting })}</dd>
          <dt>{t('database.timeouts')}</dt>
          <dd>{formatNumber(locale, pool.timeouts)}</dd>
        </dl>
      )}
      <h2>{t('database.slow')}</h2>
      {slow && !slow.enabled && <p>{t('database.slowOff')}</p>}
      {slow && slow.enabled && slow.data.length === 0 && <p>{t('database.noSlow')}</p>}
      {slow && slow.data.length > 0 && (
        <SortableTable
          caption={t('database.slow')}
          hideCaption
          testId="slow-queries"
          columns={[
            { header: t('database.query'), rowHeader: true, cell: (q: SlowQuery) => <code>{q.query.slice(0, 300)}</code> },
            { header: t('database.calls'), class: 'numeric', sortValue: (q) => q.calls, cell: (q) => formatNumber(locale, q.calls) },
            { header: t('database.mean'), class: 'numeric', sortValue: (q) => q.meanMs, cell: (q) => ms(q.meanMs) },
            { header: t('database.p95'), class: 'numeric', sortValue: (q) => q.p95Ms, cell: (q) => ms(q.p95Ms) },
            { header: t('database.max'), class: 'numeric', sortValue: (q) => q.maxMs, cell: (q) => ms(q.maxMs) },
          ]}
          rows={slow.data}
          rowKey={(q) => q.fingerprint}
        />
      )}
      <h2>{t('database.advice')}</h2>
      <button type="button" onClick={() => void api<Advice>('/admin/db/advise', { method: 'POST', json: {} }).then(setAdvice, fail)}>
        {t('database.advise')}
      </button>
      {advice && (
        <pre class="text" data-testid="advice">
          {(advice.indexes ?? []).length === 0 ? t('database.noAdvice') : JSON.stringify(advice.indexes, null, 2)}
        </pre>
      )}
    </section>
  );
}
