import type { ComponentType } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { useConsole } from '../context.ts';
import { PivotDefinitions, type Saved } from './pivot-definitions.tsx';
import { PivotExport } from './pivot-export.tsx';
import {
  emptyState,
  fromDefinition,
  layout,
  toDefinition,
  type CubeInfo,
  type Definition,
  type PivotLayout,
  type PivotResult,
  type PivotState,
} from './pivot-model.ts';
import { PivotTable } from './pivot-table.tsx';
import { PivotZones } from './pivot-zones.tsx';
import './pivot.css';

export interface PivotProps {
  /** The reports page's period: the pivot's date range. */
  range: { from: string; to: string };
  /** A loaded definition brings its own period back to the page. */
  onRange: (range: { from: string; to: string }) => void;
}

type Heatmap = ComponentType<{ result: PivotResult; grid: PivotLayout; measure: string }>;

/**
 * The pivot builder: dimensions onto rows and columns, measures, totals; run through POST /api/v1/reports/run,
 * saved and versioned through /api/v1/reports/definitions. Its own chunk, loaded by the reports page.
 */
export default function PivotBuilder({ range, onRange }: PivotProps) {
  const { t } = useConsole();
  const [cubes, setCubes] = useState<CubeInfo[] | null>(null);
  const [state, setState] = useState<PivotState>(() => emptyState('sales'));
  const [base, setBase] = useState<Definition | null>(null);
  const [loaded, setLoaded] = useState<Saved | null>(null);
  const [result, setResult] = useState<PivotResult | null>(null);
  // The definition the shown result came from: what an export writes, even after the controls change.
  const [ran, setRan] = useState<Definition | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [Heatmap, setHeatmap] = useState<Heatmap | null>(null);

  useEffect(() => {
    api<CubeInfo[]>('/api/v1/analytics/cubes').then(
      (list) => setCubes(list),
      (e: Error) => setError(e.message),
    );
  }, []);
  const cube = cubes?.find((c) => c.name === state.cube);
  const grid = useMemo(() => (result ? layout(result) : null), [result]);
  const current = (title?: string) => toDefinition(state, range, base, title ?? loaded?.name);

  const run = async (definition: Definition) => {
    if (definition.measures.length === 0) return setError(t('pivot.needMeasure'));
    setBusy(true);
    setError(null);
    try {
      setResult(await api<PivotResult>('/api/v1/reports/run', { method: 'POST', json: definition }));
      setRan(definition);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const saved = (definition: Saved) => {
    setLoaded(definition);
    setBase(definition.definition);
  };
  const load = (definition: Saved) => {
    const next = fromDefinition(definition.definition);
    saved(definition);
    setState(next.state);
    if (next.range) onRange(next.range);
    void run(toDefinition(next.state, next.range ?? range, definition.definition, definition.name));
  };
  const showHeatmap = async () => {
    try {
      // The chart is its own chunk: fetched only when someone asks for it.
      const module = await import('./pivot-heatmap.tsx');
      setHeatmap(() => module.default);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  if (!cubes)
    return error ? (
      <p role="alert" class="error">
        {t('app.error', { message: error })}
      </p>
    ) : (
      <p aria-busy="true">{t('app.loading')}</p>
    );
  return (
    <section data-testid="pivot-builder" aria-labelledby="pivot-title">
      <h2 id="pivot-title">{t('pivot.title')}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(current());
        }}
      >
        <label>
          {t('pivot.cube')}{' '}
          <select
            value={state.cube}
            data-testid="pivot-cube"
            onChange={(e) => {
              setState(emptyState(e.currentTarget.value));
              setBase(null);
              setResult(null);
            }}
          >
            {cubes.map((c) => (
              <option key={c.name} value={c.name}>
                {c.title}
              </option>
            ))}
          </select>
        </label>
        {cube && <PivotZones cube={cube} state={state} onChange={setState} />}
        <fieldset class="pivot-measures">
          <legend>{t('pivot.measures')}</legend>
          {cube?.measures.map((m) => (
            <label key={m.name}>
              <input
                type="checkbox"
                checked={state.measures.includes(m.name)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  setState((s) => ({ ...s, measures: on ? [...s.measures, m.name] : s.measures.filter((x) => x !== m.name) }));
                }}
              />{' '}
              {m.title}
            </label>
          ))}
        </fieldset>
        <p class="row">
          <label>
            <input type="checkbox" checked={state.totals} onChange={(e) => setState((s) => ({ ...s, totals: e.currentTarget.checked }))} /> {t('pivot.totals')}
          </label>
          <label>
            <input type="checkbox" checked={state.subtotals} onChange={(e) => setState((s) => ({ ...s, subtotals: e.currentTarget.checked }))} />{' '}
            {t('pivot.subtotals')}
          </label>
          <button type="submit" disabled={busy || state.measures.length === 0}>
            {t('pivot.run')}
          </button>
        </p>
      </form>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      <PivotDefinitions current={(name) => current(name)} loaded={loaded} onLoad={load} onSaved={saved} />
      {result && grid && ran && (
        <>
          <PivotExport current={() => ran} />
          {result.cells.length === 0 ? <p>{t('pivot.empty')}</p> : <PivotTable result={result} grid={grid} />}
          {result.cells.length > 0 && !Heatmap && (
            <button type="button" onClick={() => void showHeatmap()}>
              {t('pivot.heatmap')}
            </button>
          )}
          {Heatmap && result.measures[0] && <Heatmap result={result} grid={grid} measure={result.measures[0]} />}
        </>
      )}
    </section>
  );
}
