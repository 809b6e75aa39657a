import { useEffect, useState } from 'preact/hooks';
import { api, upload, withQuery } from '../api.ts';
import { ProgressBar } from '../components/progress.tsx';
import { SortableTable } from '../components/sortable-table.tsx';
import { Thumbnail, type ThumbnailLinks } from '../components/thumbnail.tsx';
import { useConsole } from '../context.ts';
import { formatNumber, formatTime } from '../i18n/index.ts';
import { useJobEvents, type LiveJob } from '../live.ts';
import { DocumentDetail } from './document-detail.tsx';
import { useFilteredList } from './use-filtered-list.ts';

export interface DocumentItem {
  id: number;
  title: string;
  filename: string;
  status: 'pending' | 'uploaded' | 'processing' | 'ready' | 'failed';
  size_bytes: number;
  detected_type: string | null;
  created_at: string;
  task_id: string | null;
  error?: string | null;
  thumbnail?: ThumbnailLinks | null;
}

interface Uploading {
  key: string;
  name: string;
  fraction: number;
  error?: string;
}

const STATUSES = ['uploaded', 'processing', 'ready', 'failed', 'pending'] as const;
/** Rows whose thumbnails load at once (the first in the server's order); later ones are usually below the fold and load as they are scrolled near. */
const EAGER_ROWS = 4;

/** Upload many files (chooser or drag and drop) with byte progress, then watch each one's processing task live. */
export default function Documents() {
  const { t, locale } = useConsole();
  const [status, setStatus] = useState('');
  const [uploads, setUploads] = useState<Uploading[]>([]);
  const [jobs, setJobs] = useState<Record<string, LiveJob>>({});
  const [selected, setSelected] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);

  const {
    list: docs,
    loaded,
    reload: load,
  } = useFilteredList(
    status,
    async (filter) =>
      (await api<{ data: DocumentItem[] }>(withQuery('/api/v1/documents', { sort: 'id', order: 'desc', page_size: 50, status: filter || undefined }))).data,
    (e) => setError(e.message),
  );
  useJobEvents((job) => {
    setJobs((all) => ({ ...all, [job.id]: job }));
    if (job.state !== 'active') void load();
  });
  // Status changes that no task event announces (another console, the sweeper): a slow refresh while work is open.
  useEffect(() => {
    if (!docs?.some((d) => d.status === 'uploaded' || d.status === 'processing')) return;
    const timer = setInterval(() => void load(), 3_000);
    return () => clearInterval(timer);
  }, [docs]);

  const send = async (files: File[]) => {
    setError(null);
    await Promise.all(
      files.map(async (file, i) => {
        const key = `${Date.now()}-${i}-${file.name}`;
        setUploads((u) => [...u, { key, name: file.name, fraction: 0 }]);
        const form = new FormData();
        form.append('file', file, file.name);
        try {
          await upload('/api/v1/documents', form, (fraction) => setUploads((u) => u.map((x) => (x.key === key ? { ...x, fraction } : x))));
          setUploads((u) => u.filter((x) => x.key !== key));
        } catch (e) {
          setUploads((u) => u.map((x) => (x.key === key ? { ...x, error: e instanceof Error ? e.message : String(e) } : x)));
        }
      }),
    );
    await load();
  };

  if (!loaded && !error) return <p aria-busy="true">{t('app.loading')}</p>;
  // The newest rows, on top until a header sorts the list, are the ones in view when the page opens.
  const eager = new Set(docs?.slice(0, EAGER_ROWS).map((d) => d.id));
  return (
    <section data-testid="documents">
      <h1>{t('documents.title')}</h1>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      <div
        class={dragging ? 'drop dragging' : 'drop'}
        onDragOver={(e) => (e.preventDefault(), setDragging(true))}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void send([...(e.dataTransfer?.files ?? [])]);
        }}
      >
        <label>
          {t('documents.choose')}{' '}
          <input
            type="file"
            multiple
            data-testid="upload"
            onChange={(e) => {
              const input = e.currentTarget;
              void send([...(input.files ?? [])]).then(() => (input.value = ''));
            }}
          />
        </label>
        <p class="muted">{t('documents.dropHint')}</p>
      </div>
      {uploads.length > 0 && (
        <ul class="plain" data-testid="uploads">
          {uploads.map((u) => (
            <li key={u.key}>
              {u.name} <ProgressBar fraction={u.fraction} label={t('documents.uploading', { name: u.name })} />
              {u.error && <span class="error">{u.error}</span>}
            </li>
          ))}
        </ul>
      )}
      <label>
        {t('documents.status')}{' '}
        <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
          <option value="">{t('common.all')}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`documents.status.${s}`)}
            </option>
          ))}
        </select>
      </label>
      {docs ? (
        <SortableTable
          caption={t('documents.title')}
          hideCaption
          testId="document-list"
          empty={t('documents.none')}
          columns={[
            {
              header: t('documents.name'),
              rowHeader: true,
              sortValue: (d: DocumentItem) => d.title,
              cell: (d) => (
                <>
                  {d.thumbnail && (
                    <Thumbnail thumb={d.thumbnail} width={64} sizes="64px" lazy={!eager.has(d.id)} alt={t('documents.thumbnailOf', { name: d.title })} />
                  )}
                  <button type="button" class="link doc-title" onClick={() => setSelected(d.id)}>
                    {d.title}
                  </button>
                  <div class="muted">{d.filename}</div>
                </>
              ),
            },
            {
              header: t('documents.status'),
              sortValue: (d) => t(`documents.status.${d.status}`),
              cell: (d) => {
                const job = d.task_id ? jobs[d.task_id] : undefined;
                return (
                  <>
                    <span class={`status-${d.status}`} data-testid="doc-status">
                      {t(`documents.status.${d.status}`)}
                    </span>
                    {d.status === 'processing' && job?.progress && (
                      <ProgressBar
                        fraction={job.progress.fraction}
                        remainingMs={job.progress.remainingMs}
                        label={t('documents.processing', { name: d.title })}
                      />
                    )}
                  </>
                );
              },
            },
            { header: t('documents.type'), sortValue: (d) => d.detected_type, cell: (d) => d.detected_type ?? '–' },
            { header: t('documents.size'), sortValue: (d) => d.size_bytes, cell: (d) => formatNumber(locale, d.size_bytes) },
            { header: t('documents.created'), sortValue: (d) => Date.parse(d.created_at), cell: (d) => formatTime(locale, Date.parse(d.created_at)) },
          ]}
          rows={docs}
          rowKey={(d) => d.id}
          rowTestId={(d) => `doc-${d.id}`}
        />
      ) : (
        <p aria-busy="true">{t('app.loading')}</p>
      )}
      {selected !== null && <DocumentDetail id={selected} onClose={() => setSelected(null)} onChanged={() => void load()} />}
    </section>
  );
}
