import * as echarts from 'echarts';
import { renderChartSvg } from '../../src/reports/charts.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import type { Summary } from '../lib/results.ts';
import { tidy } from '../lib/stats.ts';

const CHARTS_PER_ROUND = 50;

interface ChartFigures {
  /** Per chart, averaged over the round's charts. */
  wallMs: number;
  cpuMs: number;
}

/**
 * An 800×400 line chart of 144 points with a CJK title to SVG: through our renderer, and calling ECharts'
 * server-side SVG renderer directly with the same data. Rotated rounds after a warm-up; CPU time shows the work
 * itself when the machine is shared.
 */
export async function chartPart(rounds: number) {
  const categories = Array.from({ length: 144 }, (_, i) => `2014-${i}`);
  const values = categories.map((_, i) => 100 + i + 20 * Math.sin(i / 3));
  const spec = { kind: 'line' as const, title: '收入 Revenue', categories, series: [{ name: 'Revenue', values }] };
  const direct = (): string => {
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 800, height: 400 });
    chart.setOption({
      animation: false,
      title: { text: '收入 Revenue' },
      xAxis: { type: 'category', data: categories },
      yAxis: { type: 'value' },
      series: [{ type: 'line', data: values, showSymbol: false }],
    });
    const svg = chart.renderToSVGString();
    chart.dispose();
    return svg;
  };
  const timed = (name: string, render: () => string) => ({
    name,
    async run(): Promise<ChartFigures> {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < CHARTS_PER_ROUND; i++) render();
      const c = process.cpuUsage(c0);
      return { wallMs: (performance.now() - t0) / CHARTS_PER_ROUND, cpuMs: (c.user + c.system) / 1000 / CHARTS_PER_ROUND };
    },
  });
  const byName = await rotatedRounds([timed('ai-stack', () => renderChartSvg(spec)), timed('echarts', direct)], { rounds });
  const wall = mediansOf(byName, (f) => f.wallMs);
  const cpu = mediansOf(byName, (f) => f.cpuMs);
  const summary: Summary = {
    chart_svg_ms: { 'ai-stack': tidy(wall['ai-stack']!), echarts: tidy(wall['echarts']!) },
    chart_svg_cpu_ms: { 'ai-stack': tidy(cpu['ai-stack']!), echarts: tidy(cpu['echarts']!) },
    chart_svg_kb: { 'ai-stack': tidy(renderChartSvg(spec).length / 1024), echarts: tidy(direct().length / 1024) },
  };
  console.error(summary);
  return {
    summary,
    rounds: byName,
    ratios: { 'chart_svg_ms: ai-stack / echarts': ratioOfRounds(byName, (f) => f.wallMs, 'ai-stack', 'echarts') },
    settings: { rounds, chartsPerRound: CHARTS_PER_ROUND, chart: '800×400 line, 144 points, CJK title, SVG string', warmup: 'one round of each' },
  };
}
