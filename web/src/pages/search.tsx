import { useEffect, useRef, useState } from 'preact/hooks';
import { api, withQuery } from '../api.ts';
import { Marked } from '../components/marked.tsx';
import { useConsole } from '../context.ts';
import { formatNumber } from '../i18n/index.ts';

interface Hit {
  id: string;
  documentId: string;
  title: string;
  titleHighlight: string;
  score: number;
  type?: string;
  language?: string;
  tags: string[];
  highlight: { snippet: string };
}

interface Result {
  total: number;
  hits: Hit[];
  facets: Partial<Record<'type' | 'language' | 'tags', Record<string, number>>>;
}

type Facet = 'type' | 'language' | 'tags';
const FACETS: Facet[] = ['type', 'language', 'tags'];

/** Suggestions as you type (pinyin initials too), results with server-marked highlights, facets to narrow. */
export default function Search() {
  const { t, locale } = useConsole();
  const [q, setQ] = useState('');
  // Automatic: the server searches hybrid when document vectors exist, lexically otherwise.
  const [mode, setMode] = useState<'' | 'hybrid' | 'lexical'>('');
  const [filters, setFilters] = useState<Partial<Record<Facet, string>>>({});
  const [suggestions, setSuggestions] = useState<{ text: string; documentId: string }[]>([]);
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<string | null>(null);
  const typed = useRef(0);

  useEffect(() => {
    const term = q.trim();
    if (term === '') return setSuggestions([]);
    const n = ++typed.current;
    const timer = setTimeout(() => {
      void api<{ data: { text: string; documentId: string }[] }>(withQuery('/api/v1/search/suggest', { q: term.slice(0, 100), limit: 8 })).then(
        (r) => n === typed.current && setSuggestions(r.data),
        () => undefined,
      );
    }, 150);
    return () => clearTimeout(timer);
  }, [q]);

  const run = async (term = q, nextFilters = filters) => {
    if (term.trim() === '') return;
    setError(null);
    setSuggestions([]);
    try {
      setResult(await api<Result>(withQuery('/api/v1/search', { q: term.trim(), mode, facets: FACETS.join(','), limit: 20, ...nextFilters })));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const toggleFilter = (facet: Facet, value: string) => {
    const next = { ...filters, [facet]: filters[facet] === value ? undefined : value };
    setFilters(next);
    void run(q, next);
  };

  return (
    <section data-testid="search">
      <h1>{t('search.title')}</h1>
      <form role="search" onSubmit={(e) => (e.preventDefault(), void run())}>
        <label>
          {t('search.query')}{' '}
          <input type="search" value={q} maxLength={1000} data-testid="search-input" autocomplete="off" onInput={(e) => setQ(e.currentTarget.value)} />
        </label>{' '}
        <fieldset class="inline">
          <legend>{t('search.mode')}</legend>
          <label>
            <input type="radio" name="mode" checked={mode === ''} onChange={() => setMode('')} /> {t('search.auto')}
          </label>{' '}
          <label>
            <input type="radio" name="mode" checked={mode === 'hybrid'} onChange={() => setMode('hybrid')} /> {t('search.hybrid')}
          </label>{' '}
          <label>
            <input type="radio" name="mode" checked={mode === 'lexical'} onChange={() => setMode('lexical')} /> {t('search.lexical')}
          </label>
        </fieldset>{' '}
        <button type="submit">{t('search.submit')}</button>
      </form>
      {suggestions.length > 0 && (
        <ul class="suggestions" data-testid="suggestions" aria-label={t('search.suggestions')}>
          {suggestions.map((s) => (
            <li key={`${s.documentId}:${s.text}`}>
              <button type="button" class="link" onClick={() => (setQ(s.text), void run(s.text))}>
                {s.text}
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      {result && (
        <div class="search-layout">
          <aside aria-label={t('search.facets')}>
            {FACETS.map((facet) => {
              const values = Object.entries(result.facets[facet] ?? {});
              if (values.length === 0) return null;
              return (
                <div key={facet}>
                  <h2 class="small">{t(`search.facet.${facet}`)}</h2>
                  {values.map(([value, count]) => (
                    <label key={value} class="facet">
                      <input type="checkbox" checked={filters[facet] === value} onChange={() => toggleFilter(facet, value)} /> {value} (
                      {formatNumber(locale, count)})
                    </label>
                  ))}
                </div>
              );
            })}
          </aside>
          <div>
            <p role="status">{t('search.total', { count: formatNumber(locale, result.total) })}</p>
            <ol class="hits" data-testid="hits">
              {result.hits.map((hit) => (
                <li key={hit.id}>
                  <h2 class="small hit-title">
                    <Marked html={hit.titleHighlight || hit.title} />
                  </h2>
                  <p class="snippet">
                    <Marked html={hit.highlight.snippet} />
                  </p>
                  <p class="muted">{[hit.type, hit.language, ...hit.tags].filter(Boolean).join(' · ')}</p>
                </li>
              ))}
            </ol>
          </div>
        </div>
      )}
    </section>
  );
}
