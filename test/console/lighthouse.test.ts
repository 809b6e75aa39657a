import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_ROUTES, lighthouseRoutes, sessionCookie, type RouteScore } from '../../fixtures/console-lighthouse.ts';
import { ensureConsoleBuilt } from '../../src/console/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

const PASSWORD = 'a long lighthouse password';

// The thresholds on Lighthouse's mobile preset. Simulated throttling starts from the main-thread
// tasks it observed, so a CPU busy with other tests can drag one run down (seen: /login at 92 in CI): a route
// that misses is run twice more and judged on its median run. About 9-15 s a run.
describe('Lighthouse on every console route (mobile preset)', () => {
  let svc: TestService;
  let scores: RouteScore[];

  beforeAll(async () => {
    await ensureConsoleBuilt(silentLogger);
    svc = await startTestService('sqlite');
    expect((await svc.call('/admin/users', { method: 'POST', json: { username: 'lighthouse', password: PASSWORD, role: 'admin' } })).status).toBe(201);
    const cookie = await sessionCookie(svc.baseUrl, 'lighthouse', PASSWORD);
    scores = await lighthouseRoutes(svc.baseUrl, CONSOLE_ROUTES, cookie, { rerunUnless: meetsThresholds });
  }, 600_000);
  afterAll(async () => svc?.cleanup());

  const meetsThresholds = (s: RouteScore): boolean =>
    s.failedAccessibility.length === 0 && s.performance >= 95 && s.accessibility >= 95 && s.lcpMs <= 2_500 && s.cls <= 0.1 && s.tbtMs <= 200;

  it.each(CONSOLE_ROUTES)('%s: performance and accessibility ≥ 95, LCP ≤ 2.5 s, CLS ≤ 0.1, TBT ≤ 200 ms', (route) => {
    const score = scores.find((s) => s.route === route)!;
    expect(score.failedAccessibility, route).toEqual([]);
    expect(score.performance, route).toBeGreaterThanOrEqual(95);
    expect(score.accessibility, route).toBeGreaterThanOrEqual(95);
    expect(score.lcpMs, route).toBeLessThanOrEqual(2_500);
    expect(score.cls, route).toBeLessThanOrEqual(0.1);
    expect(score.tbtMs, route).toBeLessThanOrEqual(200);
  });
});
