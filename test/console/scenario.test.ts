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
    await page.getByLabel('From').fill('2025-01-01');
    await page.getByLabel('To').fill('2025-12-31');
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

    // Retry the failed task (the hostile file's processing) from the tasks page.
    await page.getByRole('link', { name: 'Tasks' }).click();
    await page.getByTestId('state-filter').selectOption('failed');
    const failedRow = page.locator('[data-testid^="job-"]').filter({ hasText: 'documents.process_document_upload' }).first();
    await failedRow.waitFor();
    const failedId = (await failedRow.getAttribute('data-testid'))!.slice('job-'.length);
    const before = (await (await svc.call(`/admin/tasks/jobs/${failedId}`)).json()).startedAt as number;
    await failedRow.getByRole('button', { name: 'Retry' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Task ${failedId} sent again.` })
      .waitFor();
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
});
