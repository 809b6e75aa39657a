import { useEffect, useState } from 'preact/hooks';
import { api, withQuery } from '../api.ts';
import { useConsole } from '../context.ts';
import { formatNumber } from '../i18n/index.ts';
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
      {keys && keys.length === 0 && <p>{t('cache.none')}</p>}
      {keys && keys.length > 0 && (
        <table data-testid="cache-keys">
          <thead>
            <tr>
              <th>{t('cache.key')}</th>
              <th>{t('cache.type')}</th>
              <th>{t('cache.ttl')}</th>
              <th>{t('cache.size')}</th>
              <th>{t('tasks.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.key}>
                <td>
                  <button
                    type="button"
                    class="link cache-key"
                    onClick={() => void guard(async () => setDetail(await api<KeyDetail>(`/admin/cache/keys/${encodeURIComponent(k.key)}`)))}
                  >
                    {k.key}
                  </button>
                </td>
                <td>{k.type}</td>
                <td>{ttl(k.ttlMs)}</td>
                <td>{k.sizeBytes === null ? '–' : formatNumber(locale, k.sizeBytes)}</td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    aria-label={t('cache.deleteKey', { key: k.key })}
                    onClick={() =>
                      void guard(async () => {
                        await api(`/admin/cache/keys/${encodeURIComponent(k.key)}`, { method: 'DELETE' });
                        setKeys((list) => list?.filter((x) => x.key !== k.key));
                        if (detail?.key === k.key) setDetail(null);
                        setNotice(t('cache.deleted', { key: k.key }));
                      })
                    }
                  >
                    {t('common.delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
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
