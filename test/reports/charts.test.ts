import * as echarts from 'echarts';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { chartOption, renderChartPng, renderChartSvg, type ChartSpec } from '../../src/reports/charts.ts';

/** An SVG without zrender's generated ids (clip paths, gradients: `zr3-c12`), whose counters run on per instance. */
const shapes = (svg: string) => svg.replace(/zr\d+-[a-z-]*\d+/g, 'ID');

const months = ['2025-01', '2025-02', '2025-03', '2025-04'];
const SPECS: ChartSpec[] = [
  { kind: 'line', title: 'Revenue', categories: months, series: [{ name: 'Revenue', values: [1, 3, 2, 4] }] },
  { kind: 'bar', categories: months, series: [{ name: 'A', values: [1, 2, 3, 4] }] },
  {
    kind: 'stacked',
    categories: months,
    series: [
      { name: 'A', values: [1, 2, 3, 4] },
      { name: 'B', values: [4, 3, null, 1] },
    ],
  },
  {
    kind: 'pie',
    slices: [
      { name: '书籍', value: 3 },
      { name: 'Tools', value: 1 },
    ],
  },
  {
    kind: 'heatmap',
    x: ['DE', 'FR'],
    y: ['Books', 'Tools'],
    values: [
      [0, 0, 1],
      [1, 0, 2],
      [0, 1, null],
      [1, 1, 4],
    ],
  },
  {
    kind: 'forecast',
    categories: [...months, '2025-05', '2025-06'],
    history: [1, 2, 3, 4],
    mean: [5, 6],
    lower80: [4, 4.5],
    upper80: [6, 7.5],
    lower95: [3.5, 4],
    upper95: [6.5, 8],
  },
];

describe('charts rendered on the server', () => {
  it.each(SPECS.map((s) => [s.kind, s] as const))('%s renders to SVG and PNG', async (_kind, spec) => {
    const svg = renderChartSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('</svg>');
    const png = await renderChartPng(spec, { width: 400, height: 240 });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 400, 240]);
  });

  it('a reused renderer draws each chart exactly as a fresh ECharts instance would, nothing left from the chart before', () => {
    const fresh = (spec: ChartSpec) => {
      const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 800, height: 400 });
      try {
        chart.setOption(chartOption(spec));
        return chart.renderToSVGString();
      } finally {
        chart.dispose();
      }
    };
    // Heavy charts first, then light ones: a leftover series, legend or visual map would show in the later SVGs.
    for (const spec of [SPECS[5]!, SPECS[4]!, SPECS[2]!, SPECS[3]!, SPECS[0]!]) {
      expect(shapes(renderChartSvg(spec))).toBe(shapes(fresh(spec)));
    }
  });

  it('Chinese labels are drawn with a CJK font, not as missing-glyph boxes', async () => {
    const title = (text: string): ChartSpec => ({ kind: 'bar', title: text, categories: ['a'], series: [{ name: 's', values: [1] }] });
    const size = { width: 300, height: 120 };
    const ink = async (text: string) => {
      const pixels = await sharp(await renderChartPng(title(text), size))
        .flatten({ background: '#ffffff' })
        .greyscale()
        .raw()
        .toBuffer();
      return pixels.reduce((sum, v) => sum + (255 - v), 0);
    };
    const base = await ink('');
    // 一 is one thin stroke, 龍 one of the densest characters. Drawn with a CJK font their ink differs many times over;
    // as missing-glyph boxes (hex codes in a frame) they would carry about the same ink.
    const thin = (await ink('一一一一')) - base;
    const dense = (await ink('龍龍龍龍')) - base;
    expect(thin).toBeGreaterThan(0);
    expect(dense / thin).toBeGreaterThan(3);
  });
});
