import type { Browser, Page } from 'playwright-core';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../../src/console/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { defineTask, type TaskDefinition } from '../../src/tasks/index.ts';
import { settled, upload } from '../documents/support.ts';
import { jpegPhoto } from '../images/hostile-images.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { axeViolations, launch, screenshot, STEP_MS, signIn as signInAs } from './browser-support.ts';

const PASSWORD = 'a long monitor password';

const flaky = defineTask(
  'test.disk_check',
  { queue: 'sync', args: Type.Object({}, { additionalProperties: false }), retries: { max: 1, backoff: { delayMs: 10, jitter: false } } },
  () => {
    throw new Error('the disk is on fire');
  },
);

const quick = defineTask('test.quick_check', { queue: 'sync', args: Type.Object({}, { additionalProperties: false }) }, () => 'fine');
// Active for a few of the event stream's 1 s polls, so the console hears of it while it runs and when it fails.
const slowFailure = defineTask('test.slow_failure', { queue: 'sync', args: Type.Object({}, { additionalProperties: false }) }, async () => {
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  throw new Error('gave up');
});

/** The console's Flower role and document thumbnails, in Debian's Chromium against the real service. */
describe('console: workers, attempt history and thumbnails in a real browser', () => {
  let svc: TestService;
  let browser: Browser;
  let failedId: string;
  let documentId: number;

  beforeAll(async () => {
    await ensureConsoleBuilt(silentLogger);
    svc = await startTestService('sqlite', {}, { tasks: { tasks: [flaky, quick, slowFailure] as TaskDefinition[], schedules: [] } });
    await svc.runtime.startBackground();
    expect((await svc.call('/admin/users', { method: 'POST', json: { username: 'monitor', password: PASSWORD, role: 'admin' } })).status).toBe(201);
    const handle = await svc.runtime.tasks.system.send(flaky.name, {});
    failedId = handle.id;
    await eventually(async () => (await handle.state()) === 'FAILURE', 30_000, 'the task to fail');
    const doc = await upload(svc, await jpegPhoto(800, 600), 'harbour.jpg');
    documentId = doc.body.document.id;
    expect((await settled(svc, documentId)).thumbnail).not.toBeNull();
    browser = await launch();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.cleanup();
  });

  const signIn = (): Promise<Page> => signInAs(browser, svc.baseUrl, 'monitor', PASSWORD);

  it('shows the worker with its heartbeat, and a failed task with each attempt, its error and traceback', async () => {
    const page = await signIn();
    await page.getByRole('link', { name: 'Tasks' }).click();
    const worker = page.getByTestId('workers').locator('tbody tr');
    await worker.first().waitFor();
    expect(await worker.count()).toBe(1);
    const heartbeat = worker.first().getByTestId('heartbeat');
    expect(await heartbeat.textContent()).toMatch(/\d+ s(ec)? ago/);
    expect(await worker.first().textContent()).toContain('sync × 10');

    await page.getByRole('button', { name: `Details of task ${failedId}` }).click();
    const detail = page.getByTestId('task-detail');
    await detail.getByTestId('attempts').waitFor();
    expect(await detail.getByTestId('task-state').textContent()).toContain('FAILURE');
    expect(await detail.getByTestId('attempt-error').allTextContents()).toEqual(['Error: the disk is on fire', 'Error: the disk is on fire']);
    await detail.getByText('Traceback').first().click();
    expect(await detail.locator('pre').first().textContent()).toMatch(/^Error: the disk is on fire\n\s+at /);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'tasks-monitor');
    await page.context().close();
  }, 300_000);

  it('keeps the state filter while live events bring new jobs (only the filtered list is ever shown)', async () => {
    const done = await svc.runtime.tasks.system.send(quick.name, {});
    await eventually(async () => (await done.state()) === 'SUCCESS', 30_000, 'the quick task');
    const page = await signIn();
    await page.getByRole('link', { name: 'Tasks' }).click();
    await page.getByTestId('state-filter').selectOption('failed');
    await page.getByTestId(`job-${failedId}`).waitFor();
    // A job the list does not hold yet: each of its events reloads the list, which must keep the filter.
    const again = await svc.runtime.tasks.system.send(slowFailure.name, {});
    await page.getByTestId(`job-${again.id}`).waitFor({ timeout: STEP_MS });
    const states = await page.getByTestId('jobs').locator('tbody td.job-state').allTextContents();
    expect(states.length).toBeGreaterThan(1);
    for (const state of states) expect(state).toMatch(/^failed/);
    expect(await page.getByTestId(`job-${done.id}`).count()).toBe(0);
    await page.context().close();
  }, 300_000);

  it('edits a schedule and shows the server naming a bad field', async () => {
    const page = await signIn();
    await page.getByRole('link', { name: 'Tasks' }).click();
    const id = 'emails.deliver_outbox.every-30s';
    await page.getByRole('button', { name: `Edit schedule ${id}` }).click();
    await page.getByTestId('schedule-every').fill('0.01');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByTestId('schedule-error').textContent()).toMatch(/every/);
    await page.getByTestId('schedule-every').fill('45');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId(`schedule-${id}`).filter({ hasText: 'every 45 s' }).waitFor();
    expect(Number((await svc.runtime.tasks.system.queue('emails').getJobScheduler(id))?.every)).toBe(45_000);
    await page.context().close();
  }, 300_000);

  it('sorts a table by a column header from the keyboard, and tells assistive technology the order', async () => {
    const page = await signIn();
    await page.getByRole('link', { name: 'Tasks' }).click();
    const table = page.getByTestId('schedules');
    const ids = () => table.locator('tbody th[scope="row"]').allTextContents();
    await table.locator('tbody tr').first().waitFor();
    const served = await ids();
    expect(served.length).toBeGreaterThan(2);
    const button = table.getByRole('button', { name: 'Schedule', exact: true });
    // `has` is matched inside each header cell: a locator from the page, not from the table.
    const header = table.locator('thead th', { has: page.getByRole('button', { name: 'Schedule', exact: true }) });
    expect(await header.getAttribute('aria-sort')).toBeNull();
    // The page's collation (en, digits as numbers), as the table sorts text.
    const ascending = [...served].sort(new Intl.Collator('en', { numeric: true }).compare);
    await button.focus();
    await page.keyboard.press('Enter');
    await expect.poll(ids, { timeout: STEP_MS }).toEqual(ascending);
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    await page.keyboard.press('Enter');
    await expect.poll(ids, { timeout: STEP_MS }).toEqual([...ascending].reverse());
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    expect(await axeViolations(page)).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('sorts the cache keys (in SCAN order as served) by size, numbers by value, and by expiry with "never" last', async () => {
    // Sizes and expiries that sort differently from the names, so each order is told apart.
    await svc.runtime.cache.set('sort-probe-a', 'x'.repeat(20_000), { ttl: 600_000 });
    await svc.runtime.cache.set('sort-probe-b', 'x', { ttl: 60_000 });
    await svc.runtime.cache.set('sort-probe-c', 'x'.repeat(2_000), { ttl: Infinity });
    const page = await signIn();
    await page.getByRole('link', { name: 'Cache' }).click();
    await page.getByTestId('cache-pattern').fill('*sort-probe-*');
    await page.getByRole('button', { name: 'Browse' }).click();
    const table = page.getByTestId('cache-keys');
    const names = async () => (await table.locator('tbody th[scope="row"]').allTextContents()).map((key) => key.slice(key.indexOf('sort-probe-')));
    await expect.poll(async () => (await names()).length, { timeout: STEP_MS }).toBe(3);
    const header = (name: string) => table.locator('thead th', { has: page.getByRole('button', { name, exact: true }) });

    await table.getByRole('button', { name: 'Size (bytes)', exact: true }).click();
    await expect.poll(names, { timeout: STEP_MS }).toEqual(['sort-probe-b', 'sort-probe-c', 'sort-probe-a']);
    expect(await header('Size (bytes)').getAttribute('aria-sort')).toBe('ascending');
    await table.getByRole('button', { name: 'Size (bytes)', exact: true }).click();
    await expect.poll(names, { timeout: STEP_MS }).toEqual(['sort-probe-a', 'sort-probe-c', 'sort-probe-b']);
    expect(await header('Size (bytes)').getAttribute('aria-sort')).toBe('descending');

    await table.getByRole('button', { name: 'Expires in', exact: true }).click();
    await expect.poll(names, { timeout: STEP_MS }).toEqual(['sort-probe-b', 'sort-probe-a', 'sort-probe-c']);
    expect(await header('Size (bytes)').getAttribute('aria-sort')).toBeNull();
    expect(await axeViolations(page)).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('lists a document with an AVIF/WebP thumbnail through <img srcset>', async () => {
    const page = await signIn();
    const images: { url: string; type: string | null; status: number }[] = [];
    page.on('response', (res) => {
      if (res.url().includes('/thumbnails/')) images.push({ url: res.url(), type: res.headers()['content-type'] ?? null, status: res.status() });
    });
    await page.getByRole('link', { name: 'Documents' }).click();
    const img = page.getByTestId(`doc-${documentId}`).locator('img.thumb');
    await img.waitFor();
    expect(await img.getAttribute('srcset')).toMatch(/\/thumbnails\/[a-f0-9]{16}-160\.webp 160w/);
    expect(await img.getAttribute('alt')).toBe('Thumbnail of harbour.jpg');
    await eventually(
      () => img.evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).naturalWidth > 0),
      STEP_MS,
      'the thumbnail to load',
    );
    const current = await img.evaluate((el) => (el as unknown as { currentSrc: string }).currentSrc);
    const loaded = images.find((r) => r.url === current);
    expect(loaded?.status).toBe(200);
    expect(loaded?.type).toMatch(/^image\/(avif|webp)$/);
    await page.context().close();
  }, 300_000);
});
