import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../../src/db/index.ts';
import { REPORT_TASKS, type FinancialReport } from '../../src/reports/index.ts';
import { DIALECTS } from '../support/db.ts';
import { sheetsAsCsv } from '../support/libreoffice.ts';
import { startTestService, type JsonBody, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

describe.each(DIALECTS)('analytics and reports API (%s)', (dialect) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(dialect);
    await loadDemoData(svc.runtime.db, { orders: 1500, endDate: '2025-12-31' });
    await svc.runtime.startBackground();
  });
  afterAll(() => svc.cleanup());

  it('POST /analytics/forecast: forecasts, intervals, model and fit statistics', async () => {
    const values = Array.from({ length: 48 }, (_, i) => 100 + i + 10 * Math.sin((2 * Math.PI * i) / 12));
    const res = await svc.call('/api/v1/analytics/forecast', { method: 'POST', json: { values, frequency: 12, horizon: 18 } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.mean).toHaveLength(18);
    expect(body.intervals.map((i: { level: number }) => i.level)).toEqual([80, 95]);
    expect(body.model).toMatch(/Combination\(ETS/);
    expect(body.components[0]).toHaveProperty('aicc');
    const forced = await (await svc.call('/api/v1/analytics/forecast', { method: 'POST', json: { values, frequency: 12, horizon: 3, model: 'AAdA' } })).json();
    expect(forced.model).toBe('ETS(A,Ad,A)');
  });

  it('POST /analytics/forecast refuses bad bodies with problem+json naming the field', async () => {
    for (const [json, field] of [
      [{ values: [1, 'x'], frequency: 12, horizon: 3 }, 'body/values/1'],
      [{ values: [1, 2], frequency: 12, horizon: 3, sql: 'drop' }, 'body/sql'],
      [{ values: [1, 2], frequency: 0, horizon: 3 }, 'body/frequency'],
      [{ values: [1, 2], frequency: 12, horizon: 3, model: 'XYZ' }, 'body/model'],
    ] as const) {
      const res = await svc.call('/api/v1/analytics/forecast', { method: 'POST', json });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect((await res.json()).errors[0].field).toBe(field);
    }
  });

  it('GET /analytics/forecast on a time-grained measure', async () => {
    const res = await svc.call('/api/v1/analytics/forecast?cube=sales&measure=revenue&grain=month&horizon=6&from=2023-01-01&to=2025-12-31');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.history).toHaveLength(36);
    expect(body.forecast.map((f: { period: string }) => f.period)).toEqual([
      '2026-01-01',
      '2026-02-01',
      '2026-03-01',
      '2026-04-01',
      '2026-05-01',
      '2026-06-01',
    ]);
    expect(body.forecast[0]).toHaveProperty('upper95');
    const bad = await svc.call('/api/v1/analytics/forecast?cube=sales&measure=profit&grain=month&horizon=6');
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('measures/0');
  });

  it('POST /reports/run: pivots and reports; hostile definitions get a 400 naming the field', async () => {
    const pivot = await svc.call('/api/v1/reports/run', {
      method: 'POST',
      json: { cube: 'sales', rows: ['region'], columns: ['category'], measures: ['revenue', 'margin_pct'] },
    });
    expect(pivot.status).toBe(200);
    expect((await pivot.json()).cells.length).toBeGreaterThan(10);
    const csv = await svc.call('/api/v1/reports/run?format=csv', { method: 'POST', json: { cube: 'orders', dimensions: ['status'], measures: ['count'] } });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString('utf8').split('\r\n')[0]).toBe('Status,Orders');
    for (const [json, field] of [
      [{ cube: 'sales', dimensions: ["region'; drop table orders; --"], measures: ['revenue'] }, 'dimensions/0'],
      [{ cube: 'sales', measures: ['revenue'], dateRange: { from: '0001-01-01', to: '9999-12-31' } }, 'dateRange/from'],
      [{ cube: 'sales', dimensions: Array.from({ length: 10_000 }, () => 'region'), measures: ['revenue'] }, 'dimensions'],
      [{ cube: 'sales', measures: ['revenue'], having: [] }, 'body/having'],
    ] as const) {
      const res = await svc.call('/api/v1/reports/run', { method: 'POST', json });
      expect(res.status).toBe(400);
      expect((await res.json()).errors[0].field).toBe(field);
    }
  });

  it('definitions are saved, versioned (If-Match) and run', async () => {
    const definition = { cube: 'orders', dimensions: ['status'], measures: ['count', 'cancel_rate'] };
    const created = await svc.call('/api/v1/reports/definitions', { method: 'POST', json: { name: 'Orders by status', shared: true, definition } });
    expect(created.status).toBe(201);
    const saved = await created.json();
    const v2 = await svc.call(`/api/v1/reports/definitions/${saved.id}`, {
      method: 'PUT',
      headers: { 'if-match': `"${saved.id}.1"` },
      json: { name: 'Orders by status', definition: { ...definition, measures: ['count'] } },
    });
    expect((await v2.json()).version).toBe(2);
    const stale = await svc.call(`/api/v1/reports/definitions/${saved.id}`, {
      method: 'PUT',
      headers: { 'if-match': `"${saved.id}.1"` },
      json: { name: 'x', definition },
    });
    expect(stale.status).toBe(409);
    const versions = await (await svc.call(`/api/v1/reports/definitions/${saved.id}/versions`)).json();
    expect(versions.items.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    const v1 = await (await svc.call(`/api/v1/reports/definitions/${saved.id}/versions/1`)).json();
    expect(v1.definition.measures).toEqual(['count', 'cancel_rate']);
    const ran = await (await svc.call(`/api/v1/reports/definitions/${saved.id}/run`, { method: 'POST' })).json();
    expect(ran.columns.map((c: { key: string }) => c.key)).toEqual(['status', 'count']);
    const invalid = await svc.call('/api/v1/reports/definitions', {
      method: 'POST',
      json: { name: 'bad', definition: { cube: 'orders', measures: ['nope'] } },
    });
    expect(invalid.status).toBe(400);
  });

  it("the seed's call: generate_erp_report.delay(...).get() gives the report; its XLSX opens in LibreOffice with the same numbers", async () => {
    const task = svc.runtime.tasks.system.task(svc.runtime.tasks.system.definition(REPORT_TASKS.erp)!);
    const handle = await task.delay({ reportType: 'financial', startDate: '2025-01-01', endDate: '2025-12-31' });
    const report = (await handle.get({ timeout: 60_000 })) as FinancialReport;
    expect(report.incomeStatement.periods).toHaveLength(12);
    const withFile = (await (
      await task.delay({ reportType: 'financial', startDate: '2025-01-01', endDate: '2025-12-31', format: 'xlsx' })
    ).get({ timeout: 60_000 })) as FinancialReport & { file: { url: string } };
    const download = await svc.call(withFile.file.url);
    expect(download.status).toBe(200);
    const path = join(svc.runtime.config.dataDir, 'financial.xlsx');
    writeFileSync(path, Buffer.from(await download.arrayBuffer()));
    const sheets = await sheetsAsCsv(path);
    const statement = sheets['Income statement']!;
    const totalRow = statement.find((r) => r[0] === 'Total')!;
    expect(Number(totalRow[1]!.replaceAll(',', ''))).toBeCloseTo(report.incomeStatement.total.revenue, 2);
    expect(Number(totalRow[6]!.replaceAll(',', ''))).toBeCloseTo(report.incomeStatement.total.netIncome, 2);
    expect(sheets['Balance sheet']).toBeDefined();
  }, 180_000);

  it('large or Prefer: respond-async requests answer 202 with a Location to poll', async () => {
    const res = await svc.call('/api/v1/reports/erp/receivables?startDate=2025-01-01&endDate=2025-12-31', { headers: { prefer: 'respond-async' } });
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    let done: JsonBody;
    await eventually(
      async () => {
        done = await (await svc.call(location)).json();
        return done.state === 'SUCCESS';
      },
      60_000,
      'the receivables task',
    );
    expect(done.result.reportType).toBe('receivables');
    const exported = await svc.call('/api/v1/reports/run', {
      method: 'POST',
      json: { cube: 'sales', dimensions: ['product'], measures: ['revenue'], limit: 50_000 },
    });
    expect(exported.status).toBe(202);
    let task: JsonBody;
    await eventually(
      async () => {
        task = await (await svc.call(exported.headers.get('location')!)).json();
        return task.state === 'SUCCESS';
      },
      60_000,
      'the export task',
    );
    const file = task.result;
    const download = await svc.call(file.url);
    expect(download.headers.get('content-type')).toMatch(/spreadsheetml/);
    expect((await svc.call('/api/v1/reports/files/not-a-token')).status).toBe(404);
  }, 120_000);
});
