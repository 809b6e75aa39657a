import { useState } from 'preact/hooks';
import { useConsole } from '../context.ts';
import { GRAINS, place, setGrain, shift, type Axis, type CubeInfo, type Grain, type PivotState } from './pivot-model.ts';

// Plain text: every browser carries it through a drag; a drop is only taken when it names one of the cube's dimensions.
const DRAG_TYPE = 'text/plain';

interface ZonesProps {
  cube: CubeInfo;
  state: PivotState;
  onChange: (next: PivotState) => void;
}

/**
 * Unused dimensions, rows and columns. Dimensions move by drag and drop, and by buttons that do the same
 * from the keyboard or a screen reader (dragging alone is not accessible).
 */
export function PivotZones({ cube, state, onChange }: ZonesProps) {
  const { t } = useConsole();
  const [over, setOver] = useState<Axis | 'unused' | null>(null);
  const title = (field: string) => cube.dimensions.find((d) => d.name === field)?.title ?? field;
  const used = new Set([...state.rows, ...state.columns].map((p) => p.field));
  const unused = cube.dimensions.filter((d) => !used.has(d.name));

  const drop = (to: Axis | null, index?: number) => (event: DragEvent) => {
    event.preventDefault();
    event.stopPropagation();
    setOver(null);
    const field = event.dataTransfer?.getData(DRAG_TYPE);
    if (field && cube.dimensions.some((d) => d.name === field)) onChange(place(state, cube, field, to, index));
  };
  const target = (zone: Axis | 'unused') => ({
    onDragOver: (event: DragEvent) => {
      event.preventDefault();
      setOver(zone);
    },
    onDragLeave: () => setOver(null),
    onDrop: drop(zone === 'unused' ? null : zone),
  });
  const draggable = (field: string) => ({
    draggable: true,
    onDragStart: (event: DragEvent) => {
      event.dataTransfer?.setData(DRAG_TYPE, field);
      if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
    },
  });

  const axis = (name: Axis) => {
    const other: Axis = name === 'rows' ? 'columns' : 'rows';
    const list = state[name];
    return (
      <div class={`pivot-zone${over === name ? ' over' : ''}`} data-testid={`zone-${name}`} {...target(name)}>
        <h3 id={`zone-${name}-title`}>{t(name === 'rows' ? 'pivot.rows' : 'pivot.columns')}</h3>
        {list.length === 0 && <p class="muted">{t('pivot.dropHint')}</p>}
        <ol class="plain" aria-labelledby={`zone-${name}-title`}>
          {list.map((p, i) => {
            const label = title(p.field);
            return (
              <li key={p.field} class="chip" data-testid={`placed-${p.field}`} {...draggable(p.field)} onDrop={drop(name, i)}>
                <span>{label}</span>
                {p.grain && (
                  <select
                    aria-label={t('pivot.grain', { name: label })}
                    value={p.grain}
                    onChange={(e) => onChange(setGrain(state, p.field, e.currentTarget.value as Grain))}
                  >
                    {GRAINS.map((g) => (
                      <option key={g} value={g}>
                        {t(`pivot.grain.${g}`)}
                      </option>
                    ))}
                  </select>
                )}
                <button
                  type="button"
                  aria-label={t('pivot.moveEarlier', { name: label })}
                  disabled={i === 0}
                  onClick={() => onChange(shift(state, name, i, -1))}
                >
                  ↑
                </button>
                <button
                  type="button"
                  aria-label={t('pivot.moveLater', { name: label })}
                  disabled={i === list.length - 1}
                  onClick={() => onChange(shift(state, name, i, 1))}
                >
                  ↓
                </button>
                <button
                  type="button"
                  aria-label={t(other === 'rows' ? 'pivot.moveToRows' : 'pivot.moveToColumns', { name: label })}
                  onClick={() => onChange(place(state, cube, p.field, other))}
                >
                  ⇄
                </button>
                <button type="button" aria-label={t('pivot.remove', { name: label })} onClick={() => onChange(place(state, cube, p.field, null))}>
                  ×
                </button>
              </li>
            );
          })}
        </ol>
      </div>
    );
  };

  return (
    <div class="pivot-zones">
      <div class={`pivot-zone${over === 'unused' ? ' over' : ''}`} data-testid="zone-unused" {...target('unused')}>
        <h3 id="zone-unused-title">{t('pivot.unused')}</h3>
        <ul class="plain" aria-labelledby="zone-unused-title">
          {unused.map((d) => (
            <li key={d.name} class="chip" data-testid={`dimension-${d.name}`} {...draggable(d.name)}>
              <span>{d.title}</span>
              <button type="button" aria-label={t('pivot.addToRows', { name: d.title })} onClick={() => onChange(place(state, cube, d.name, 'rows'))}>
                {t('pivot.rows')}
              </button>
              <button type="button" aria-label={t('pivot.addToColumns', { name: d.title })} onClick={() => onChange(place(state, cube, d.name, 'columns'))}>
                {t('pivot.columns')}
              </button>
            </li>
          ))}
        </ul>
      </div>
      {axis('rows')}
      {axis('columns')}
    </div>
  );
}
