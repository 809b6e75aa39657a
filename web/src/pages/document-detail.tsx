import { useEffect, useState } from 'preact/hooks';
import { api, withQuery } from '../api.ts';
import { Thumbnail, type ThumbnailLinks } from '../components/thumbnail.tsx';
import { useConsole } from '../context.ts';
import { formatNumber } from '../i18n/index.ts';

interface Chunk {
  id: number;
  ordinal: number;
  text: string;
  page: number | null;
  token_count: number;
  title?: string;
  score?: number;
  document_id: number;
}

interface Metadata {
  status: string;
  title?: string;
  thumbnail?: ThumbnailLinks | null;
  detected_type: string | null;
  warnings: string[];
  metadata: Record<string, unknown> | null;
}

const TEXT_PREVIEW = 4_000;

/** Metadata, extracted text, chunks and chunks similar to the first one; reprocess and delete. */
export function DocumentDetail({ id, onClose, onChanged }: { id: number; onClose: () => void; onChanged: () => void }) {
  const { t, locale } = useConsole();
  const [meta, setMeta] = useState<Metadata | null>(null);
  const [text, setText] = useState<string | null>(null);
  const [chunks, setChunks] = useState<Chunk[]>([]);
  const [similar, setSimilar] = useState<Chunk[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setMeta(null);
    setText(null);
    setChunks([]);
    setSimilar([]);
    const fail = (e: Error) => setError(e.message);
    void api<Metadata>(`/api/v1/documents/${id}/metadata`).then(setMeta, fail);
    void api<string>(`/api/v1/documents/${id}/text`).then(
      (body) => setText(String(body)),
      () => setText(''),
    );
    void api<{ data: Chunk[] }>(withQuery(`/api/v1/documents/${id}/chunks`, { limit: 20 })).then(
      (r) => {
        setChunks(r.data);
        const first = r.data[0];
        if (first)
          void api<{ data: Chunk[] }>(withQuery('/api/v1/documents/similar', { text: first.text.slice(0, 2000), k: 5 })).then(
            (s) => setSimilar(s.data.filter((c) => c.id !== first.id)),
            () => undefined,
          );
      },
      () => undefined,
    );
  }, [id]);

  const act = async (what: Promise<unknown>) => {
    try {
      await what;
      onChanged();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <article class="card" data-testid="document-detail" aria-labelledby="document-detail-title">
      <h2 id="document-detail-title">{t('documents.detail', { id })}</h2>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      <p>
        <button type="button" onClick={() => void act(api(`/api/v1/documents/${id}/reprocess`, { method: 'POST' }))}>
          {t('documents.reprocess')}
        </button>{' '}
        <button type="button" class="danger" onClick={() => void act(api(`/api/v1/documents/${id}`, { method: 'DELETE' }).then(onClose))}>
          {t('common.delete')}
        </button>{' '}
        <button type="button" onClick={onClose}>
          {t('common.close')}
        </button>
      </p>
      {meta?.thumbnail && (
        <p>
          <Thumbnail
            thumb={meta.thumbnail}
            width={320}
            sizes="(max-width: 40rem) 100vw, 320px"
            lazy
            alt={t('documents.thumbnailOf', { name: meta.title ?? String(id) })}
          />
        </p>
      )}
      {meta && (
        <dl class="pairs">
          <dt>{t('documents.status')}</dt>
          <dd>{meta.status}</dd>
          <dt>{t('documents.type')}</dt>
          <dd>{meta.detected_type ?? '–'}</dd>
          {Object.entries(meta.metadata ?? {})
            .filter(([, v]) => v !== null && typeof v !== 'object')
            .map(([k, v]) => [<dt key={`k${k}`}>{k}</dt>, <dd key={`v${k}`}>{String(v)}</dd>])}
          {meta.warnings.length > 0 && [<dt key="w">{t('documents.warnings')}</dt>, <dd key="wv">{meta.warnings.join('; ')}</dd>]}
        </dl>
      )}
      <h3>{t('documents.text')}</h3>
      {text !== null && (
        <pre class="text" data-testid="document-text">
          {text.slice(0, TEXT_PREVIEW)}
          {text.length > TEXT_PREVIEW ? '…' : ''}
        </pre>
      )}
      <h3>{t('documents.chunks')}</h3>
      <ol class="chunks">
        {chunks.map((c) => (
          <li key={c.id}>
            <span class="muted">{t('documents.tokens', { count: formatNumber(locale, c.token_count) })}</span> {c.text.slice(0, 300)}
          </li>
        ))}
      </ol>
      <h3>{t('documents.similar')}</h3>
      {similar.length === 0 ? (
        <p class="muted">{t('documents.noSimilar')}</p>
      ) : (
        <ul>
          {similar.map((c) => (
            <li key={c.id}>
              <strong>{c.title}</strong> ({formatNumber(locale, Math.round((c.score ?? 0) * 1000) / 1000)}): {c.text.slice(0, 200)}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
