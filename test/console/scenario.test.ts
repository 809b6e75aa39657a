import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus } from '../../fixtures/documents-corpus.ts';
import { ensureConsoleBuilt } from '../../src/console/index.ts';
import { loadDemoData } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { axeViolations, launch, screenshot, STEP_MS } from './browser-support.ts';

const PASSWORD = 'a long console password';
const HOSTILE_NAME = '<img src=x onerror="window.__xss=3">.docx';
const HOSTILE_VALUE = '<script>window.__xss=5</script><img src=x onerror="window.__xss=6">';
const HOSTILE_REGION = '<img src=x onerror="window.__xss=7">Atlantis';
const HOSTILE_DEFINITION = '<img src=x onerror="window.__xss=8">Monthly by region';
/** The pivot the browser builds, as the API takes it: order month × region, revenue and margin %. */
const PIVOT = {
  cube: 'sales',
  rows: [{ field: 'order_date', grain: 'month' }],
  columns: ['region'],
  measures: ['revenue', 'margin_pct'],
  dateRange: { from: '2025-01-01', to: '2025-12-31' },
  totals: true,
  subtotals: false,
};
interface PivotBody {
  cells: { row: unknown[]; rowLevel: number; columnLevel: number; values: Record<string, number | null> }[];
}

// The scenario, by hand in a real browser: sign in; upload a Chinese document and watch it reach
// ready; search it and see the highlight; run a financial report and export XLSX; retry a failed task;
// browse and delete a cache key; switch language; sign out. Every page passes axe and is photographed.
describe('the console scenario in a real browser', () => {
  let svc: TestService;
  let browser: Browser;
  let docx: Buffer;

  beforeAll(async () => {
    await ensureConsoleBuilt(silentLogger);
    docx = (await corpus()).bytes('docx/chinese.docx');
    svc = await startTestService('sqlite');
    await svc.runtime.startBackground();
    await loadDemoData(svc.runtime.db, { orders: 300, endDate: '2025-12-31' });
    // A region (a customer's country) that is markup: the pivot must show it as a column header, as text.
    const { customer_id } = await svc.runtime.db.kysely
      .selectFrom('orders')
      .select('customer_id')
      .where('order_date', '>=', '2025-01-01')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    await svc.runtime.db.kysely.updateTable('customers').set({ country: HOSTILE_REGION }).where('id', '=', customer_id).execute();
    expect((await svc.call('/admin/users', { method: 'POST', json: { username: 'operator', password: PASSWORD, role: 'admin' } })).status).toBe(201);
    await svc.runtime.cache.set('console-probe', { note: HOSTILE_VALUE }, { ttl: 600_000 });
    browser = await launch();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.cleanup();
  });

  const accessible = async (page: Page, name: string) => {
    expect(await axeViolations(page), name).toEqual([]);
    await screenshot(page, name);
  };
  const xss = (page: Page) => page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss);

  it('does every step of the scenario, accessibly and without running hostile text', async () => {
    const context = await browser.newContext({ locale: 'en-US', acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    try {
      await scenario(page);
    } catch (error) {
      await screenshot(page, 'failure').catch(() => undefined);
      throw error;
    } finally {
      await context.close();
    }
  }, 600_000);

  async function scenario(page: Page): Promise<void> {
    // Sign in.
    await page.goto(`${svc.baseUrl}/`);
    await page.getByTestId('login-form').waitFor();
    await accessible(page, '01-login');
    await page.getByLabel('Username').fill('operator');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('readiness').filter({ hasText: 'Ready' }).waitFor();
    await page.getByTestId('queue-counts').waitFor();
    await accessible(page, '02-overview');

    // Upload many: a Chinese DOCX that becomes ready, and a hostile-named file that fails.
    await page.getByRole('link', { name: 'Documents' }).click();
    await page.getByTestId('documents').waitFor();
    await page.getByTestId('upload').setInputFiles([
      { name: '年度报告.docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', buffer: docx },
      // A ZIP cut short under a hostile name: refused at upload (415), the name shown as text beside the reason.
      { name: HOSTILE_NAME, mimeType: 'application/octet-stream', buffer: docx.subarray(0, 600) },
      // A PDF in name only: accepted, then its extraction fails for good (a failed task to retry below).
      { name: 'broken.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7\n%garbage that is no PDF body\n') },
    ]);
    const chinese = page.locator('[data-testid^="doc-"]').filter({ hasText: '年度报告.docx' });
    await chinese.getByTestId('doc-status').filter({ hasText: 'ready' }).waitFor();
    await page.getByTestId('uploads').filter({ hasText: HOSTILE_NAME }).filter({ hasText: 'not a DOCX' }).waitFor();
    const broken = page.locator('[data-testid^="doc-"]').filter({ hasText: 'broken.pdf' });
    await broken.getByTestId('doc-status').filter({ hasText: 'failed' }).waitFor();
    expect(await page.locator('main img').count()).toBe(0);
    await chinese.locator('button.doc-title').click();
    await page.getByTestId('document-text').filter({ hasText: '收入' }).waitFor();
    await accessible(page, '03-documents');

    // Search: pinyin initials suggest the title; a sub-word comes back highlighted; a hostile query stays text.
    await page.getByRole('link', { name: 'Search' }).click();
    const input = page.getByTestId('search-input');
    await input.fill('ndbg');
    await page.getByTestId('suggestions').filter({ hasText: '年度报告' }).waitFor();
    await input.fill('收入');
    await eventually(
      async () => {
        await page.getByRole('button', { name: 'Search', exact: true }).click();
        await page.getByRole('status').filter({ hasText: 'results' }).waitFor();
        return (await page.locator('.hits mark').filter({ hasText: '收入' }).count()) > 0;
      },
      STEP_MS,
      'a highlighted hit',
    );
    await accessible(page, '04-search');
    await page.getByLabel('Lexical').check();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator('.hits mark').filter({ hasText: '收入' }).first().waitFor();
    await input.fill('<img src=x onerror="window.__xss=4">');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'results' }).waitFor();
    expect(await page.locator('main img').count()).toBe(0);

    // A financial report for 2025, exported as XLSX; the forecast chart loads on demand.
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByTestId('report-type').selectOption('financial');
    await page.getByLabel('From', { exact: true }).fill('2025-01-01');
    await page.getByLabel('To', { exact: true }).fill('2025-12-31');
    await page.getByRole('button', { name: 'Run report' }).click();
    await page.getByTestId('report-table').locator('tbody tr').first().waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-xlsx').click()]);
    expect(download.suggestedFilename()).toMatch(/^financial-2025-01-01-2025-12-31\.xlsx$/);
    expect(
      readFileSync(await download.path())
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');
    await page.getByRole('button', { name: 'Revenue forecast' }).click();
    await page.getByTestId('forecast-chart').waitFor();
    await accessible(page, '05-reports');
    await pivot(page);

    // Retry the failed task (the hostile file's processing) from the tasks page.
    await page.getByRole('link', { name: 'Tasks' }).click();
    await page.getByTestId('state-filter').selectOption('failed');
    const failedRow = page.locator('[data-testid^="job-"]').filter({ hasText: 'documents.process_document_upload' }).first();
    await failedRow.waitFor();
    const failedId = (await failedRow.getAttribute('data-testid'))!.slice('job-'.length);
    const before = (await (await svc.call(`/admin/tasks/jobs/${failedId}`)).json()).startedAt as number;
    // The row of that job, not "the first failed row": the list may change between reading the id and clicking.
    await page.getByTestId(`job-${failedId}`).getByRole('button', { name: 'Retry' }).click();
    // What the page says (notice or error), so a failure shows it.
    const said = async () => [...(await page.getByRole('status').allTextContents()), ...(await page.getByRole('alert').allTextContents())].join(' | ');
    await expect.poll(said, { timeout: 60_000 }).toContain(`Task ${failedId} sent again.`);
    // The retried run starts afresh (and fails again: the file is still broken).
    await eventually(async () => (await (await svc.call(`/admin/tasks/jobs/${failedId}`)).json()).startedAt > before, STEP_MS, 'the retried run');
    await page.getByTestId('schedules').waitFor();
    await accessible(page, '06-tasks');

    // Browse the cache, read a hostile value as text, delete the key.
    await page.getByRole('link', { name: 'Cache' }).click();
    await page.getByTestId('cache-pattern').fill('*console-probe*');
    await page.getByRole('button', { name: 'Browse' }).click();
    const key = page.locator('button.cache-key').filter({ hasText: 'console-probe' });
    await key.waitFor();
    const fullKey = (await key.textContent())!;
    await key.click();
    await page.getByTestId('cache-value').filter({ hasText: '<script>window.__xss=5</script>' }).waitFor();
    expect(await page.locator('main img, main script').count()).toBe(0);
    await accessible(page, '07-cache');
    await page.getByRole('button', { name: `Delete ${fullKey}` }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Deleted ${fullKey}.` })
      .waitFor();
    expect((await svc.call(`/admin/cache/keys/${encodeURIComponent(fullKey)}`)).status).toBe(404);
    expect(await svc.runtime.cache.get('console-probe')).toBeUndefined();

    // The database page, and users and keys: a new key's secret is shown once.
    await page.getByRole('link', { name: 'Database' }).click();
    await page.getByTestId('pool').waitFor();
    await accessible(page, '08-database');
    await page.getByRole('link', { name: 'Users & keys' }).click();
    await page.getByTestId('users').filter({ hasText: 'operator' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('<b>ci key</b>');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page
      .getByTestId('new-key')
      .locator('code')
      .filter({ hasText: /\S{20,}/ })
      .waitFor();
    await page.getByTestId('keys').filter({ hasText: '<b>ci key</b>' }).waitFor();
    await accessible(page, '09-access');
    await page.getByRole('link', { name: 'Cache' }).click();
    await page.getByTestId('cache').waitFor();

    // Switch language, then sign out.
    await page.getByTestId('language').selectOption('zh-CN');
    await page.getByRole('heading', { name: '缓存', exact: true }).waitFor();
    await accessible(page, '10-cache-zh');
    expect(await xss(page)).toBeUndefined();
    await page.getByTestId('sign-out').click();
    await page.getByTestId('login-form').waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/v1/auth/session')).status)).toBe(401);
  }

  /** Builds month × region (a button and a drag), checks the server's grand totals, saves, versions, reloads and exports it. */
  async function pivot(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Open the pivot builder' }).click();
    await page.getByTestId('pivot-builder').waitFor();
    await page.getByRole('button', { name: 'Add Order date to rows', exact: true }).click();
    await page.getByTestId('zone-rows').getByTestId('placed-order_date').waitFor();
    await page.getByTestId('dimension-region').dragTo(page.getByTestId('zone-columns'));
    await page.getByTestId('zone-columns').getByTestId('placed-region').waitFor();
    await page.getByRole('checkbox', { name: 'Revenue', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Gross margin %', exact: true }).check();
    await page.getByRole('button', { name: 'Run pivot' }).click();

    // The grand totals on screen are the API's cells (margin % is a ratio the server re-evaluates, never a sum).
    const api = (await (await svc.call('/api/v1/reports/run', { method: 'POST', json: PIVOT })).json()) as PivotBody;
    const grand = api.cells.find((c) => c.rowLevel === 0 && c.columnLevel === 0)!.values;
    const shownGrand = async () => {
      const revenue = page.getByTestId('pivot-grand-revenue');
      await revenue.waitFor();
      const margin = page.getByTestId('pivot-grand-margin_pct');
      expect(Number(await revenue.getAttribute('data-value'))).toBe(grand.revenue);
      expect(await revenue.textContent()).toBe(new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(grand.revenue!));
      expect(Number(await margin.getAttribute('data-value'))).toBe(grand.margin_pct);
    };
    await shownGrand();
    expect(grand.revenue).toBeGreaterThan(0);
    // One table row per row the server sent: 12 months and the total, none made up by the page.
    const rows = new Set(api.cells.map((c) => JSON.stringify([c.row, c.rowLevel]))).size;
    expect(rows).toBe(13);
    expect(await page.getByTestId('pivot-table').locator('tbody tr').count()).toBe(rows);
    await page.getByTestId('pivot-table').locator('thead th').filter({ hasText: HOSTILE_REGION }).waitFor();
    expect(await page.locator('main img').count()).toBe(0);

    // Save under a hostile name, change the pivot, load the saved one back.
    await page.getByLabel('Definition name').fill(HOSTILE_DEFINITION);
    await page.getByRole('button', { name: 'Save as new' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Saved “${HOSTILE_DEFINITION}”, version 1.` })
      .waitFor();
    const listed = page.getByTestId('definition-list').locator('.definition-name').filter({ hasText: HOSTILE_DEFINITION });
    expect(await listed.textContent()).toBe(HOSTILE_DEFINITION);
    const hostileHeader = page.getByTestId('pivot-table').locator('thead th').filter({ hasText: HOSTILE_REGION });
    const bodyRows = page.getByTestId('pivot-table').locator('tbody tr');
    await page.getByRole('button', { name: 'Remove Region', exact: true }).click();
    await page.getByTestId('zone-unused').getByTestId('dimension-region').waitFor();
    await page.getByRole('button', { name: 'Run pivot' }).click();
    await hostileHeader.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: `Load ${HOSTILE_DEFINITION}`, exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Loaded “${HOSTILE_DEFINITION}”, version 1.` })
      .waitFor();
    await page.getByTestId('zone-columns').getByTestId('placed-region').waitFor();
    await hostileHeader.waitFor();
    await shownGrand();

    // A second version by quarter; version 1 (by month) stays loadable.
    await page.getByLabel('Grain of Order date').selectOption('quarter');
    await page.getByRole('button', { name: 'Run pivot' }).click();
    await expect.poll(() => bodyRows.count(), { timeout: STEP_MS }).toBe(5);
    await page.getByRole('button', { name: 'Save new version' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Saved “${HOSTILE_DEFINITION}”, version 2.` })
      .waitFor();
    const saved = ((await (await svc.call('/api/v1/reports/definitions')).json()) as { items: { id: number; name: string; version: number }[] }).items.find(
      (d) => d.name === HOSTILE_DEFINITION,
    )!;
    expect(saved.version).toBe(2);
    const v1 = await (await svc.call(`/api/v1/reports/definitions/${saved.id}/versions/1`)).json();
    const v2 = await (await svc.call(`/api/v1/reports/definitions/${saved.id}`)).json();
    expect(v1.definition).toMatchObject({ ...PIVOT, title: HOSTILE_DEFINITION });
    expect(v2.definition.rows).toEqual([{ field: 'order_date', grain: 'quarter' }]);
    await page.getByRole('button', { name: `Versions of ${HOSTILE_DEFINITION}`, exact: true }).click();
    await page.getByRole('button', { name: /^Version 1 / }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Loaded “${HOSTILE_DEFINITION}”, version 1.` })
      .waitFor();
    expect(await page.getByLabel('Grain of Order date').inputValue()).toBe('month');
    await expect.poll(() => bodyRows.count(), { timeout: STEP_MS }).toBe(13);
    await shownGrand();

    // Export through the export task (progress while it runs), then download the file.
    await page.getByTestId('pivot-export-xlsx').click();
    const link = page.getByTestId('pivot-download');
    await link.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    expect(
      readFileSync(await download.path())
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');

    // The heatmap is its own chunk, fetched on demand.
    await page.getByRole('button', { name: 'Show heatmap' }).click();
    await page.getByTestId('pivot-heatmap').waitFor();
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await xss(page)).toBeUndefined();
    await accessible(page, '05b-pivot');
  }
});
