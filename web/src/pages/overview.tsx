import { api } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { useConsole } from '../context.ts';
import { formatNumber, formatTime } from '../i18n/index.ts';
import { useLive } from '../live.ts';
import type { AlertDigest, Incident } from './alerts.ts';
import type { QueueInfo } from './queues.ts';
import { usePoll } from './use-poll.ts';

interface CacheStats {
  counters: { l1Hits: number; l2Hits: number; l2Misses: number };
}

/** Share of lookups answered from either tier: an L1 miss goes on to L2, which hits or misses. */
function hitRatio(stats: CacheStats): { lookups: number; ratio: number | null } {
  const { l1Hits, l2Hits, l2Misses } = stats.counters;
  const lookups = l1Hits + l2Hits + l2Misses;
  return { lookups, ratio: lookups === 0 ? null : (l1Hits + l2Hits) / lookups };
}

interface Readiness {
  status?: 'ready' | 'not_ready';
  checks?: Record<string, { ok: boolean; reason?: string }>;
}

/** The `slowQueries` event: statements at or over the threshold on the server the console talks to. */
type SlowQueries = { enabled: boolean; thresholdMs: number | null; calls: number; fingerprints: number } | { error: string };

/** Readiness, queues, slow queries and alerts arrive as server-sent events; cache counters are read every few seconds. */
export default function Overview() {
  const { t, locale, navigate } = useConsole();
  const readiness = useLive<Readiness>('readiness');
  const queues = useLive<QueueInfo[]>('queues');
  const slow = useLive<SlowQueries>('slowQueries');
  const alerts = useLive<AlertDigest>('alerts');
  const cache = usePoll(() => api<CacheStats>('/admin/cache/stats'));
  const hits = cache.data ? hitRatio(cache.data) : undefined;
  const percent = (value: number) => new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(value);
  const when = (iso: string) => formatTime(locale, Date.parse(iso));
  const link = (path: string, label: string) => (
    <a href={path} onClick={(e) => (e.preventDefault(), navigate(path))}>
      {label}
    </a>
  );
  // Shown whole once its first figures are in: parts arriving one by one would shift the layout (CLS).
  if (!readiness || !queues || !slow || !alerts || (!cache.data && !cache.error)) return <p aria-busy="true">{t('app.loading')}</p>;
  return (
    <section data-testid="overview">
      <h1>{t('overview.title')}</h1>
      {cache.error && (
        <p role="alert" class="error">
          {t('app.error', { message: cache.error.message })}
        </p>
      )}
      <h2>
        {t('overview.readiness')}:{' '}
        <span data-testid="readiness" class={readiness.status}>
          {readiness.status === 'ready' ? t('overview.ready') : t('overview.notReady')}
        </span>
      </h2>
      <DataTable
        caption={t('overview.readiness')}
        hideCaption
        columns={[
          { header: t('overview.check'), rowHeader: true, cell: ([name]) => name },
          { header: t('overview.status'), cell: ([, check]) => (check.ok ? t('overview.ready') : `${t('overview.notReady')}: ${check.reason ?? ''}`) },
        ]}
        rows={Object.entries(readiness.checks ?? {})}
        rowKey={([name]) => name}
      />
      <h2>{t('overview.queues')}</h2>
      <DataTable
        caption={t('overview.queues')}
        hideCaption
        testId="queue-counts"
        columns={[
          { header: t('tasks.queue'), rowHeader: true, cell: (q: QueueInfo) => q.name },
          { header: t('tasks.waiting'), cell: (q) => <span data-testid={`waiting-${q.name}`}>{formatNumber(locale, q.counts.waiting)}</span> },
          { header: t('tasks.active'), cell: (q) => formatNumber(locale, q.counts.active) },
          { header: t('tasks.failed'), cell: (q) => formatNumber(locale, q.counts.failed) },
          {
            header: t('overview.failureRate'),
            cell: (q) => {
              const finished = q.counts.completed + q.counts.failed;
              return finished === 0 ? '–' : percent(q.counts.failed / finished);
            },
          },
        ]}
        rows={queues}
        rowKey={(q) => q.name}
      />
      <h2>{t('overview.cache')}</h2>
      {hits && (
        <p data-testid="cache-hit-ratio">
          {t('overview.hitRatio')}: {hits.ratio === null ? t('overview.noLookups') : percent(hits.ratio)}
          {' · '}
          {t('overview.lookups')}: {formatNumber(locale, hits.lookups)}
        </p>
      )}
      <h2>{t('overview.slowQueries')}</h2>
      <p data-testid="slow-query-count">
        {'error' in slow
          ? t('app.error', { message: slow.error })
          : !slow.enabled
            ? t('database.slowOff')
            : t('overview.slowCount', {
                calls: formatNumber(locale, slow.calls),
                shapes: formatNumber(locale, slow.fingerprints),
                ms: slow.thresholdMs ?? 0,
              })}{' '}
        {link('/database', t('overview.slowDetails'))}
      </p>
      <h2>{t('overview.alerts')}</h2>
      {'error' in alerts ? (
        <p class="error">{t('app.error', { message: alerts.error })}</p>
      ) : (
        <>
          <p data-testid="open-alerts">
            {t('overview.openAlerts', { count: formatNumber(locale, alerts.open) })} {link('/mail', t('overview.alertDetails'))}
          </p>
          <DataTable
            caption={t('overview.recentAlerts')}
            testId="recent-alerts"
            empty={t('alerts.noIncidents')}
            columns={[
              { header: t('alerts.rule'), rowHeader: true, cell: (i: Incident) => i.rule },
              { header: t('alerts.opened'), cell: (i) => when(i.opened_at) },
              { header: t('alerts.resolved'), cell: (i) => (i.resolved_at ? when(i.resolved_at) : t('alerts.stillOpen')) },
              { header: t('alerts.summary'), cell: (i) => i.summary },
            ]}
            rows={alerts.recent}
            rowKey={(i) => i.id}
          />
        </>
      )}
    </section>
  );
}
