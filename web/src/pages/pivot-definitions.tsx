import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { SortableTable } from '../components/sortable-table.tsx';
import { useConsole } from '../context.ts';
import { formatTime } from '../i18n/index.ts';
import type { Definition } from './pivot-model.ts';

/** A saved definition as /api/v1/reports/definitions lists it (the list leaves the definition out). */
export interface SavedHead {
  id: number;
  name: string;
  kind: 'report' | 'pivot';
  version: number;
  updated_at: string;
}
export type Saved = SavedHead & { definition: Definition };

interface DefinitionsProps {
  /** The builder's current definition, titled with the name it is saved under. */
  current: (name: string) => Definition;
  /** The definition being edited: a new version goes to it. */
  loaded: Saved | null;
  onLoad: (saved: Saved) => void;
  /** Saving makes the saved definition the one being edited, without running it again. */
  onSaved: (saved: Saved) => void;
}

const BASE = '/api/v1/reports/definitions';

/** Save the current definition (new, or as the next version of the loaded one), list saved ones, load any version. */
export function PivotDefinitions({ current, loaded, onLoad, onSaved }: DefinitionsProps) {
  const { t, locale } = useConsole();
  const [items, setItems] = useState<SavedHead[] | null>(null);
  const [name, setName] = useState('');
  const [versions, setVersions] = useState<{ id: number; items: { version: number; created_at: string }[] } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = () =>
    api<{ items: SavedHead[] }>(BASE).then(
      (r) => setItems(r.items),
      (e: Error) => setError(e.message),
    );
  useEffect(() => void refresh(), []);
  useEffect(() => {
    if (loaded) setName(loaded.name);
  }, [loaded]);

  const attempt = async (work: () => Promise<void>) => {
    setError(null);
    setNotice(null);
    try {
      await work();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const save = (asVersion: boolean) =>
    attempt(async () => {
      const body = { name, definition: current(name) };
      // If-Match: a version saved by someone else in between is refused (409), not overwritten.
      const saved = asVersion
        ? await api<Saved>(`${BASE}/${loaded!.id}`, { method: 'PUT', json: body, headers: { 'if-match': `"${loaded!.id}.${loaded!.version}"` } })
        : await api<Saved>(BASE, { method: 'POST', json: body });
      onSaved(saved);
      setNotice(t('pivot.saved', { name: saved.name, version: saved.version }));
      await refresh();
    });
  const load = (id: number, version?: number) =>
    attempt(async () => {
      const saved = await api<Saved>(version === undefined ? `${BASE}/${id}` : `${BASE}/${id}/versions/${version}`);
      onLoad(saved);
      setNotice(t('pivot.loaded', { name: saved.name, version: saved.version }));
    });
  const showVersions = (id: number) =>
    attempt(async () => setVersions({ id, items: (await api<{ items: { version: number; created_at: string }[] }>(`${BASE}/${id}/versions`)).items }));

  return (
    <div data-testid="definitions">
      <h3>{t('pivot.definitions')}</h3>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void save(false);
        }}
      >
        <label>
          {t('pivot.defName')} <input required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <button type="submit">{t('pivot.saveNew')}</button>
        <button type="button" disabled={!loaded || name.trim() === ''} onClick={() => void save(true)}>
          {t('pivot.saveVersion')}
        </button>
      </form>
      {loaded && <p class="muted">{t('pivot.editing', { name: loaded.name, version: loaded.version })}</p>}
      {notice && <p role="status">{notice}</p>}
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {items && (
        <SortableTable
          caption={t('pivot.definitions')}
          hideCaption
          testId="definition-list"
          empty={t('pivot.noDefinitions')}
          columns={[
            { header: t('pivot.defName'), rowHeader: true, class: 'definition-name', sortValue: (d: SavedHead) => d.name, cell: (d) => d.name },
            { header: t('pivot.kind'), sortValue: (d) => d.kind, cell: (d) => t(d.kind === 'pivot' ? 'pivot.kind.pivot' : 'pivot.kind.report') },
            { header: t('pivot.version'), sortValue: (d) => d.version, cell: (d) => d.version },
            { header: t('pivot.updated'), sortValue: (d) => d.updated_at, cell: (d) => formatTime(locale, Date.parse(d.updated_at)) },
            {
              header: t('pivot.actions'),
              cell: (d) => (
                <>
                  <button type="button" aria-label={t('pivot.loadNamed', { name: d.name })} onClick={() => void load(d.id)}>
                    {t('pivot.load')}
                  </button>{' '}
                  <button type="button" aria-label={t('pivot.versionsOf', { name: d.name })} onClick={() => void showVersions(d.id)}>
                    {t('pivot.versions')}
                  </button>
                  {versions?.id === d.id && (
                    <ul class="plain">
                      {versions.items.map((v) => (
                        <li key={v.version}>
                          <button type="button" class="link" onClick={() => void load(d.id, v.version)}>
                            {t('pivot.loadVersion', { version: v.version, time: formatTime(locale, Date.parse(v.created_at)) })}
                          </button>
                        </li>
                      ))}
                    </ul>
                  )}
                </>
              ),
            },
          ]}
          rows={items}
          rowKey={(d) => d.id}
          rowTestId={(d) => `definition-${d.id}`}
        />
      )}
    </div>
  );
}
