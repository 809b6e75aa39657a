import { createRequire } from 'node:module';
import type * as echarts from 'echarts';

// ECharts (tens of MB of heap) and sharp (libvips, off-heap) load with the first chart, not with the service.
const load = createRequire(import.meta.url);

/**
 * CJK-capable fonts first (Debian fonts-noto-cjk / fonts-wqy-zenhei), so rasterised labels never become boxes. Unquoted: ECharts puts it inside an SVG
 * attribute.
 */
export const CHART_FONT = 'Noto Sans CJK SC, WenQuanYi Zen Hei, Noto Sans, DejaVu Sans, sans-serif';

export type ChartSpec =
  | { kind: 'line' | 'bar' | 'stacked'; title?: string; categories: string[]; series: { name: string; values: (number | null)[] }[] }
  | { kind: 'pie'; title?: string; slices: { name: string; value: number }[] }
  | { kind: 'heatmap'; title?: string; x: string[]; y: string[]; values: [number, number, number | null][] }
  | {
      kind: 'forecast';
      title?: string;
      categories: string[];
      history: (number | null)[];
      mean: (number | null)[];
      lower80: (number | null)[];
      upper80: (number | null)[];
      lower95: (number | null)[];
      upper95: (number | null)[];
    };

export interface ChartSize {
  width?: number;
  height?: number;
}

/** The ECharts option for a spec (exported for the renderer-reuse test). */
export function chartOption(spec: ChartSpec): echarts.EChartsCoreOption {
  const base = {
    animation: false,
    textStyle: { fontFamily: CHART_FONT },
    title: spec.title ? { text: spec.title, left: 'center', textStyle: { fontFamily: CHART_FONT, fontSize: 14 } } : undefined,
    grid: { left: 60, right: 20, top: 40, bottom: 40 },
  };
  switch (spec.kind) {
    case 'line':
    case 'bar':
    case 'stacked':
      return {
        ...base,
        legend: spec.series.length > 1 ? { bottom: 0, textStyle: { fontFamily: CHART_FONT } } : undefined,
        xAxis: { type: 'category', data: spec.categories },
        yAxis: { type: 'value' },
        series: spec.series.map((s) => ({
          name: s.name,
          type: spec.kind === 'line' ? 'line' : 'bar',
          data: s.values,
          showSymbol: false,
          ...(spec.kind === 'stacked' ? { stack: 'total' } : {}),
        })),
      };
    case 'pie':
      return { ...base, series: [{ type: 'pie', radius: '60%', data: spec.slices, label: { fontFamily: CHART_FONT } }] };
    case 'heatmap': {
      const values = spec.values.map((v) => v[2]).filter((v): v is number => v !== null);
      return {
        ...base,
        xAxis: { type: 'category', data: spec.x },
        yAxis: { type: 'category', data: spec.y },
        visualMap: {
          min: Math.min(0, ...values),
          max: Math.max(1, ...values),
          calculable: false,
          orient: 'horizontal',
          left: 'center',
          bottom: 0,
          show: false,
        },
        series: [{ type: 'heatmap', data: spec.values, label: { show: spec.values.length <= 200, fontFamily: CHART_FONT } }],
      };
    }
    case 'forecast': {
      const n = spec.history.length;
      const pad = <T>(list: T[]) => [...Array.from({ length: n }, () => null), ...list];
      // Bands are stacked areas: an invisible lower bound, then the band's height on top of it.
      const band = (lower: (number | null)[], upper: (number | null)[], name: string, opacity: number) => [
        { name: `${name} low`, type: 'line', data: pad(lower), stack: name, lineStyle: { opacity: 0 }, showSymbol: false, silent: true },
        {
          name,
          type: 'line',
          data: pad(upper.map((u, i) => (u === null || lower[i] === null ? null : u - lower[i]!))),
          stack: name,
          lineStyle: { opacity: 0 },
          areaStyle: { opacity, color: '#5470c6' },
          showSymbol: false,
          silent: true,
        },
      ];
      return {
        ...base,
        xAxis: { type: 'category', data: spec.categories },
        yAxis: { type: 'value', scale: true },
        series: [
          ...band(spec.lower95, spec.upper95, '95 %', 0.15),
          ...band(spec.lower80, spec.upper80, '80 %', 0.25),
          { name: 'History', type: 'line', data: [...spec.history, ...spec.mean.map(() => null)], showSymbol: false, color: '#333' },
          { name: 'Forecast', type: 'line', data: pad(spec.mean), showSymbol: false, color: '#5470c6', lineStyle: { type: 'dashed' } },
        ],
      };
    }
  }
}

/**
 * One ECharts instance per chart size, reused: `init` builds a zrender painter, theme and component registry each
 * time, about a third of a small chart's render. `notMerge` replaces the previous chart's option entirely, and
 * rendering is synchronous, so charts never see each other. A few sizes at most are kept.
 */
const renderers = new Map<string, echarts.ECharts>();
const MAX_RENDERERS = 8;

function rendererFor(width: number, height: number): echarts.ECharts {
  const key = `${width}x${height}`;
  let chart = renderers.get(key);
  if (!chart) {
    if (renderers.size >= MAX_RENDERERS) {
      const [oldest, instance] = renderers.entries().next().value!;
      instance.dispose();
      renderers.delete(oldest);
    }
    chart = (load('echarts') as typeof echarts).init(null, null, { renderer: 'svg', ssr: true, width, height });
    // zrender starts a 16 ms animation loop per instance; a kept instance would keep it, and the process, alive.
    // Rendering to a string is synchronous and needs no frames.
    chart.getZr().animation.stop();
    renderers.set(key, chart);
  }
  return chart;
}

/** ECharts rendered on the server to an SVG string (no DOM, no browser). */
export function renderChartSvg(spec: ChartSpec, size: ChartSize = {}): string {
  const width = size.width ?? 800;
  const height = size.height ?? 400;
  const chart = rendererFor(width, height);
  try {
    chart.setOption(chartOption(spec), { notMerge: true });
    const svg = chart.renderToSVGString();
    // setOption may start zrender's animation loop again (animate() calls start()); a kept instance must not spin.
    chart.getZr().animation.stop();
    return svg;
  } catch (error) {
    // A half-applied option must not leak into the next chart: start that one from a fresh instance.
    chart.dispose();
    renderers.delete(`${width}x${height}`);
    throw error;
  }
}

/** PNG for e-mail and workbooks (mail clients do not show SVG), rasterised by sharp's librsvg with the system's fonts. */
export async function renderChartPng(spec: ChartSpec, size: ChartSize = {}): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(renderChartSvg(spec, size)))
    .png()
    .toBuffer();
}
