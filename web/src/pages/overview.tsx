import { api } from '../api.ts';
import { useConsole } from '../context.ts';
import { formatNumber } from '../i18n/index.ts';
import { useLive } from '../live.ts';
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
  status: 'ready' | 'not_ready';
  checks: Record<string, { ok: boolean; reason?: string }>;
}

/** Readiness and queues arrive as server-sent events; cache counters are read every few seconds. */
export default function Overview() {
  const { t, locale } = useConsole();
  const readiness = useLive<Readiness>('readiness');
  const queues = useLive<QueueInfo[]>('queues');
  const cache = usePoll(() => api<CacheStats>('/admin/cache/stats'));
  const hits = cache.data ? hitRatio(cache.data) : undefined;
  // Shown whole once its first figures are in: parts arriving one by one would shift the layout (CLS).
  if (!readiness || !queues || (!cache.data && !cache.error)) return <p aria-busy="true">{t('app.loading')}</p>;
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
        {readiness && (
          <span data-testid="readiness" class={readiness.status}>
            {readiness.status === 'ready' ? t('overview.ready') : t('overview.notReady')}
          </span>
        )}
      </h2>
      {readiness && (
        <table>
          <thead>
            <tr>
              <th>{t('overview.check')}</th>
              <th>{t('overview.status')}</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(readiness.checks).map(([name, check]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>{check.ok ? t('overview.ready') : `${t('overview.notReady')}: ${check.reason ?? ''}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t('overview.queues')}</h2>
      {queues && (
        <table data-testid="queue-counts">
          <thead>
            <tr>
              <th>{t('tasks.queue')}</th>
              <th>{t('tasks.waiting')}</th>
              <th>{t('tasks.active')}</th>
              <th>{t('tasks.failed')}</th>
              <th>{t('overview.failureRate')}</th>
            </tr>
          </thead>
          <tbody>
            {queues.map((q) => {
              const finished = q.counts.completed + q.counts.failed;
              return (
                <tr key={q.name}>
                  <td>{q.name}</td>
                  <td data-testid={`waiting-${q.name}`}>{formatNumber(locale, q.counts.waiting)}</td>
                  <td>{formatNumber(locale, q.counts.active)}</td>
                  <td>{formatNumber(locale, q.counts.failed)}</td>
                  <td>
                    {finished === 0 ? '–' : new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(q.counts.failed / finished)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h2>{t('overview.cache')}</h2>
      {hits && (
        <p data-testid="cache-hit-ratio">
          {t('overview.hitRatio')}:{' '}
          {hits.ratio === null ? t('overview.noLookups') : new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(hits.ratio)}
          {' · '}
          {t('overview.lookups')}: {formatNumber(locale, hits.lookups)}
        </p>
      )}
    </section>
  );
}
