import { useConsole } from '../context.ts';
import { formatNumber } from '../i18n/index.ts';

export interface Forecast {
  measure: string;
  history: { period: string; value: number }[];
  forecast: { period: string; mean: number; lower80?: number; upper80?: number; lower95?: number; upper95?: number }[];
}

const W = 640;
const H = 240;
const PAD = 40;

/** History, the forecast mean and its 80 % / 95 % bands as one small SVG: no chart library to download. */
export default function ForecastChart({ forecast }: { forecast: Forecast }) {
  const { t, locale } = useConsole();
  const points = [...forecast.history.map((h) => h.value), ...forecast.forecast.flatMap((f) => [f.mean, f.lower95 ?? f.mean, f.upper95 ?? f.mean])];
  const n = forecast.history.length + forecast.forecast.length;
  if (n < 2 || points.length === 0) return <p>{t('reports.noForecast')}</p>;
  const min = Math.min(...points);
  const max = Math.max(...points);
  const x = (i: number) => PAD + (i * (W - 2 * PAD)) / (n - 1);
  const y = (v: number) => H - PAD - ((v - min) / (max - min || 1)) * (H - 2 * PAD);
  const at = forecast.history.length;
  const band = (lo: 'lower80' | 'lower95', hi: 'upper80' | 'upper95') => {
    const upper = forecast.forecast.map((f, i) => `${x(at + i)},${y(f[hi] ?? f.mean)}`);
    const lower = forecast.forecast.map((f, i) => `${x(at + i)},${y(f[lo] ?? f.mean)}`).reverse();
    return [...upper, ...lower].join(' ');
  };
  const line = (values: number[], from: number) => values.map((v, i) => `${x(from + i)},${y(v)}`).join(' ');
  return (
    <figure data-testid="forecast-chart">
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={t('reports.forecastLabel', { measure: forecast.measure })}>
        <polygon points={band('lower95', 'upper95')} fill="#bfdbfe" />
        <polygon points={band('lower80', 'upper80')} fill="#93c5fd" />
        <polyline
          points={line(
            forecast.history.map((h) => h.value),
            0,
          )}
          fill="none"
          stroke="#1f2937"
          stroke-width="2"
        />
        <polyline
          points={line(
            forecast.forecast.map((f) => f.mean),
            at,
          )}
          fill="none"
          stroke="#1d4ed8"
          stroke-width="2"
          stroke-dasharray="6 4"
        />
        <text x={4} y={PAD} font-size="12">
          {formatNumber(locale, Math.round(max))}
        </text>
        <text x={4} y={H - PAD} font-size="12">
          {formatNumber(locale, Math.round(min))}
        </text>
      </svg>
      <figcaption>{t('reports.forecastCaption')}</figcaption>
    </figure>
  );
}
