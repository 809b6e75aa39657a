import { useEffect, useState } from 'preact/hooks';
import { api, withQuery } from '../api.ts';
import { useConsole } from '../context.ts';
import { formatNumber } from '../i18n/index.ts';
import { SortableTable } from '../components/sortable-table.tsx';
import { usePoll } from './use-poll.ts';

interface KeyInfo {
  key: string;
  type: string;
  ttlMs: number;
  sizeBytes: number | null;
}

interface KeyDetail extends KeyInfo {
  value?: unknown;
  truncated: boolean;
}

interface Stats {
  keyPrefix: string;
  counters: Record<string, number>;
  l1?: { size?: number } | null;
}

const keyPath = (key: string) => `/admin/cache/keys/${encodeURIComponent(key)}`;

/** Redis Commander's role: stats, a SCAN key browser, the decoded value, delete, and a namespace version bump. */
export default function Cache() {
  const { t, locale } = useConsole();
  const stats = usePoll(() => api<Stats>('/admin/cache/stats'));
  const [pattern, setPattern] = useState('*');
  const [keys, setKeys] = useState<KeyInfo[] | undefined>(undefined);
  const [cursor, setCursor] = useState('0');
  const [detail, setDetail] = useState<KeyDetail | null>(null);
  const [namespace, setNamespace] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const guard = async (work: () => Promise<void>) => {
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const browse = (from = '0') =>
    guard(async () => {
      const page = await api<{ cursor: string; keys: KeyInfo[] }>(withQuery('/admin/cache/keys', { pattern: pattern || '*', cursor: from, count: 200 }));
      setKeys((old) => (from === '0' ? page.keys : [...(old ?? []), ...page.keys]));
      setCursor(page.cursor);
    });
  useEffect(() => void browse(), []);

  const ttl = (ms: number) => (ms === -1 ? t('cache.noExpiry') : ms < 0 ? '–' : t('cache.seconds', { n: formatNumber(locale, Math.round(ms / 1000)) }));

  if ((!stats.data && !stats.error) || (!keys && !error)) return <p aria-busy="true">{t('app.loading')}</p>;
  return (
    <section data-testid="cache">
      <h1>{t('cache.title')}</h1>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {notice && <p role="status">{notice}</p>}
      {stats.data && (
        <dl class="pairs" data-testid="cache-stats">
          <dt>{t('cache.prefix')}</dt>
          <dd>{stats.data.keyPrefix}</dd>
          {Object.entries(stats.data.counters).map(([k, v]) => [<dt key={`k${k}`}>{k}</dt>, <dd key={`v${k}`}>{formatNumber(locale, v)}</dd>])}
        </dl>
      )}
      <form class="row" onSubmit={(e) => (e.preventDefault(), void browse())}>
        <label>
          {t('cache.pattern')} <input value={pattern} maxLength={256} data-testid="cache-pattern" onInput={(e) => setPattern(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('cache.browse')}</button>
      </form>
      {keys && (
        <SortableTable
          caption={t('cache.keys')}
          testId="cache-keys"
          empty={t('cache.none')}
          columns={[
            {
              header: t('cache.key'),
              rowHeader: true,
              sortValue: (k: KeyInfo) => k.key,
              cell: (k) => (
                <button type="button" class="link cache-key" onClick={() => void guard(async () => setDetail(await api<KeyDetail>(keyPath(k.key))))}>
                  {k.key}
                </button>
              ),
            },
            { header: t('cache.type'), sortValue: (k) => k.type, cell: (k) => k.type },
            // No expiry sorts as the longest time left; a key gone since the scan (-2) as unknown.
            {
              header: t('cache.ttl'),
              class: 'numeric',
              sortValue: (k) => (k.ttlMs === -1 ? Number.MAX_SAFE_INTEGER : k.ttlMs < 0 ? null : k.ttlMs),
              cell: (k) => ttl(k.ttlMs),
            },
            {
              header: t('cache.size'),
              class: 'numeric',
              sortValue: (k) => k.sizeBytes,
              cell: (k) => (k.sizeBytes === null ? '–' : formatNumber(locale, k.sizeBytes)),
            },
            {
              header: t('tasks.actions'),
              cell: (k) => (
                <button
                  type="button"
                  class="danger"
                  aria-label={t('cache.deleteKey', { key: k.key })}
                  onClick={() =>
                    void guard(async () => {
                      await api(keyPath(k.key), { method: 'DELETE' });
                      setKeys((list) => list?.filter((x) => x.key !== k.key));
                      if (detail?.key === k.key) setDetail(null);
                      setNotice(t('cache.deleted', { key: k.key }));
                    })
                  }
                >
                  {t('common.delete')}
                </button>
              ),
            },
          ]}
          rows={keys}
          rowKey={(k) => k.key}
        />
      )}
      {cursor !== '0' && (
        <button type="button" onClick={() => void browse(cursor)}>
          {t('cache.more')}
        </button>
      )}
      {detail && (
        <article class="card" data-testid="cache-value" aria-labelledby="cache-value-title">
          <h2 id="cache-value-title">{detail.key}</h2>
          <p class="muted">
            {detail.type} · {ttl(detail.ttlMs)}
            {detail.truncated ? ` · ${t('cache.truncated')}` : ''}
          </p>
          <pre class="text">{JSON.stringify(detail.value ?? null, null, 2)}</pre>
        </article>
      )}
      <h2>{t('cache.bumpTitle')}</h2>
      <form
        class="row"
        onSubmit={(e) => (
          e.preventDefault(),
          void guard(async () => {
            const r = await api<{ namespace: string; version: number }>(`/admin/cache/namespaces/${encodeURIComponent(namespace)}/bump`, { method: 'POST' });
            setNotice(t('cache.bumped', { namespace: r.namespace, version: r.version }));
          })
        )}
      >
        <label>
          {t('cache.namespace')} <input value={namespace} required pattern="[A-Za-z0-9_.\-]{1,64}" onInput={(e) => setNamespace(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('cache.bump')}</button>
      </form>
    </section>
  );
}
