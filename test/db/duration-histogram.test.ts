import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DurationHistogram } from '../../src/db/duration-histogram.ts';

describe('DurationHistogram (the per-query Prometheus histogram)', () => {
  it('renders cumulative buckets, sum and count in Prometheus text', async () => {
    const registry = new Registry();
    const histogram = DurationHistogram.on(registry, 'test_duration_seconds', 'test');
    const ok = histogram.series({ dialect: 'sqlite', outcome: 'ok' });
    for (const seconds of [0.0001, 0.0005, 0.002, 0.2, 10]) ok(seconds);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE test_duration_seconds histogram');
    expect(text).toContain('test_duration_seconds_bucket{dialect="sqlite",outcome="ok",le="0.0005"} 2');
    expect(text).toContain('test_duration_seconds_bucket{dialect="sqlite",outcome="ok",le="0.005"} 3');
    expect(text).toContain('test_duration_seconds_bucket{dialect="sqlite",outcome="ok",le="0.5"} 4');
    expect(text).toContain('test_duration_seconds_bucket{dialect="sqlite",outcome="ok",le="+Inf"} 5');
    expect(text).toContain('test_duration_seconds_count{dialect="sqlite",outcome="ok"} 5');
    expect(text).toMatch(/test_duration_seconds_sum\{dialect="sqlite",outcome="ok"\} 10\.2026/);
  });

  it('is shared when registered twice under one name, and resets', async () => {
    const registry = new Registry();
    const a = DurationHistogram.on(registry, 'shared_seconds', 'x');
    const b = DurationHistogram.on(registry, 'shared_seconds', 'x');
    expect(a).toBe(b);
    a.series({ k: 'v' })(1);
    b.series({ k: 'v' })(1);
    expect(await registry.metrics()).toContain('shared_seconds_count{k="v"} 2');
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('shared_seconds_count{k="v"} 0');
  });
});
