import type { Browser, Page, ViewportSize } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../../src/console/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { axeViolations, launch, screenshot, STEP_MS, signIn as signInAs } from './browser-support.ts';

const PASSWORD = 'a long console password';
const HOSTILE_SUBJECT = '<img src=x onerror="window.__xss=7"><script>window.__xss=8</script>';
const HOSTILE_RULE = '<img src=x onerror="window.__xss=9">';

interface Rule {
  id: number;
  name: string;
  kind: string;
  severity: string;
  threshold: number;
}

// The operator's pages in a real browser: the overview's live slow-query count and alerts, mail and alerts
// (outbox per recipient, .eml files, rules created, edited and deleted), and settings (the doctor report).
describe('the console: overview, mail and alerts, settings', () => {
  let svc: TestService;
  let browser: Browser;

  beforeAll(async () => {
    await ensureConsoleBuilt(silentLogger);
    // Every statement counts as slow: the overview's count is above zero and keeps moving.
    svc = await startTestService('sqlite', { AI_STACK_SLOW_QUERY_MS: '0' });
    await svc.runtime.startBackground();
    expect((await svc.call('/admin/users', { method: 'POST', json: { username: 'operator', password: PASSWORD, role: 'admin' } })).status).toBe(201);
    expect((await svc.call('/admin/mail/suppressions', { method: 'POST', json: { address: 'blocked@example.com' } })).status).toBe(201);
    const sent = await svc.call('/admin/tasks/apply/emails.send_email', {
      method: 'POST',
      json: { args: { to: ['reader@example.com', 'blocked@example.com'], subject: HOSTILE_SUBJECT, text: 'hello' } },
    });
    expect(sent.status).toBe(202);
    await eventually(
      async () => {
        const { items } = (await (await svc.call('/admin/mail/outbox')).json()) as { items: { status: string }[] };
        return items.some((m) => m.status === 'sent');
      },
      STEP_MS,
      'the message delivered to the .eml outbox',
    );
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
  const inert = async (page: Page) => {
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
  };
  const rules = async () => ((await (await svc.call('/admin/alerts/rules')).json()) as { items: Rule[] }).items;

  const signIn = (viewport?: ViewportSize): Promise<Page> => signInAs(browser, svc.baseUrl, 'operator', PASSWORD, viewport ? { viewport } : {});

  it('shows the slow-query count and a new alert on the overview as they happen, without a reload', async () => {
    const page = await signIn();
    try {
      const count = page.getByTestId('slow-query-count');
      await count.filter({ hasText: /[1-9][\d,]* slow statements in [1-9]/ }).waitFor();
      const first = await count.textContent();
      await eventually(async () => (await count.textContent()) !== first, STEP_MS, 'the slow-query count to move');
      await page.getByTestId('recent-alerts').filter({ hasText: 'No alerts yet.' }).waitFor();

      // Free disk below a threshold no disk reaches: the rule fires at the next evaluation.
      const created = await svc.call('/admin/alerts/rules', { method: 'POST', json: { name: 'ci disk', kind: 'disk_free_mb', threshold: 1e12 } });
      expect(created.status).toBe(201);
      expect((await svc.call('/admin/alerts/evaluate', { method: 'POST' })).status).toBe(200);
      await page.getByTestId('recent-alerts').locator('tbody tr').filter({ hasText: 'ci disk' }).filter({ hasText: 'MB free' }).waitFor();
      await page.getByTestId('open-alerts').filter({ hasText: 'Open incidents: 1.' }).waitFor();
      expect(await page.getByTestId('recent-alerts').locator('th[scope="col"]').count()).toBe(4);
      await accessible(page, 'ops-01-overview');
    } finally {
      await page.context().close();
    }
  }, 300_000);

  it('lists slow statements on the database page, each named by its statement, and sorts them by calls', async () => {
    const page = await signIn();
    try {
      await page.getByRole('link', { name: 'Database' }).click();
      const table = page.getByTestId('slow-queries');
      await table.locator('tbody tr').first().waitFor();
      expect(await table.locator('tbody th[scope="row"] code').count()).toBe(await table.locator('tbody tr').count());
      // The second cell of each row (after the statement's row header), as numbers: "1,234" is 1234.
      const calls = async () => (await table.locator('tbody tr > :nth-child(2)').allTextContents()).map((text) => Number(text.replace(/\D/g, '')));
      const served = await calls();
      expect(served.length).toBeGreaterThan(1);
      const header = table.locator('thead th', { has: page.getByRole('button', { name: 'Calls', exact: true }) });
      await table.getByRole('button', { name: 'Calls', exact: true }).click();
      await expect.poll(calls, { timeout: STEP_MS }).toEqual([...served].sort((a, b) => a - b));
      expect(await header.getAttribute('aria-sort')).toBe('ascending');
      await table.getByRole('button', { name: 'Calls', exact: true }).click();
      await expect.poll(calls, { timeout: STEP_MS }).toEqual([...served].sort((a, b) => b - a));
      expect(await header.getAttribute('aria-sort')).toBe('descending');
      await accessible(page, 'ops-01b-database');
    } finally {
      await page.context().close();
    }
  }, 300_000);

  it('lists the outbox per recipient and the .eml files, with a hostile subject shown as text', async () => {
    const page = await signIn();
    try {
      await page.getByRole('link', { name: 'Mail & alerts' }).click();
      const subject = page.getByTestId('outbox').locator('th.mail-subject').filter({ hasText: HOSTILE_SUBJECT });
      await subject.waitFor();
      expect(await subject.textContent()).toBe(HOSTILE_SUBJECT);
      const recipients = page.getByTestId('outbox').getByTestId('recipient');
      await recipients.filter({ hasText: 'reader@example.com: sent' }).waitFor();
      await recipients.filter({ hasText: 'blocked@example.com: suppressed' }).waitFor();
      expect(await page.getByTestId('outbox').locator('caption').textContent()).toBe('Outgoing messages with the status of each recipient');
      const file = page.getByTestId('eml-files').locator('a[download]').first();
      const href = (await file.getAttribute('href')) ?? '';
      expect(href).toMatch(/^\/admin\/mail\/outbox\/files\/.+\.eml$/);
      expect(await page.evaluate(async (path) => (await fetch(path)).status, href)).toBe(200);

      await page.getByTestId('mail-status-filter').selectOption('suppressed');
      await page.getByTestId('outbox').getByTestId('recipient').filter({ hasText: 'reader@example.com' }).waitFor({ state: 'detached' });
      await recipients.filter({ hasText: 'blocked@example.com: suppressed' }).waitFor();
      await inert(page);
      await accessible(page, 'ops-02-mail');
    } finally {
      await page.context().close();
    }
  }, 300_000);

  it('shows an alert rule created through the API, and creates, edits and deletes one in the page', async () => {
    expect((await svc.call('/admin/alerts/rules', { method: 'POST', json: { name: 'api backlog', kind: 'queue_backlog', threshold: 500 } })).status).toBe(201);
    const page = await signIn();
    try {
      await page.getByRole('link', { name: 'Mail & alerts' }).click();
      await page.getByTestId('alert-rules').locator('th.rule-name').filter({ hasText: 'api backlog' }).waitFor();
      await page.getByTestId('alert-rules').filter({ hasText: 'queue backlog above 500' }).waitFor();

      // Create.
      await page.getByRole('button', { name: 'New rule' }).click();
      const form = page.getByTestId('rule-form');
      await form.getByLabel('Name').fill('ui failures');
      expect(await form.getByLabel('Severity').inputValue()).toBe('warning');
      await form.getByLabel('Measure').selectOption('oldest_waiting_minutes');
      await form.getByLabel('Severity').selectOption('critical');
      await form.getByLabel('Threshold').fill('3');
      await form.getByLabel('E-mail addresses').fill('ops@example.com, oncall@example.com');
      await accessible(page, 'ops-03-rule-form');
      await form.getByRole('button', { name: 'Save rule' }).click();
      await page.getByRole('status').filter({ hasText: 'Rule ui failures saved.' }).waitFor();
      const created = (await rules()).find((r) => r.name === 'ui failures');
      expect(created).toMatchObject({
        kind: 'oldest_waiting_minutes',
        severity: 'critical',
        threshold: 3,
        emails: ['ops@example.com', 'oncall@example.com'],
        enabled: true,
      });

      // Edit: the form opens filled in (every field, so saving changes only what was changed).
      await page.getByRole('button', { name: 'Edit rule ui failures' }).click();
      expect(await form.getByLabel('Threshold').inputValue()).toBe('3');
      await form.getByLabel('Threshold').fill('7');
      await form.getByRole('button', { name: 'Save rule' }).click();
      await page.getByTestId('alert-rules').filter({ hasText: 'oldest waiting task (minutes) above 7' }).waitFor();
      expect((await rules()).find((r) => r.id === created!.id)).toMatchObject({ kind: 'oldest_waiting_minutes', severity: 'critical', threshold: 7 });

      // A hostile name is refused by the API; its answer is shown as text and nothing runs.
      await page.getByRole('button', { name: 'New rule' }).click();
      await form.getByLabel('Name').fill(HOSTILE_RULE);
      await form.getByRole('button', { name: 'Save rule' }).click();
      await page.getByRole('alert').filter({ hasText: 'Something went wrong' }).waitFor();
      expect((await rules()).some((r) => r.name === HOSTILE_RULE)).toBe(false);
      await inert(page);
      await form.getByRole('button', { name: 'Cancel' }).click();

      // Delete, after a confirmation.
      await page.getByRole('button', { name: 'Delete rule ui failures' }).click();
      await page.getByRole('button', { name: 'Really delete ui failures and its incidents' }).click();
      await page.getByRole('status').filter({ hasText: 'Rule ui failures deleted.' }).waitFor();
      expect((await svc.call(`/admin/alerts/rules/${created!.id}`)).status).toBe(404);
      await page.getByTestId('alert-rules').locator('th.rule-name').filter({ hasText: 'ui failures' }).waitFor({ state: 'detached' });
    } finally {
      await page.context().close();
    }
  }, 300_000);

  it('lets the keyboard scroll a table wider than a narrow screen', async () => {
    const page = await signIn({ width: 320, height: 700 });
    try {
      // A phone-width screen folds the navigation behind the Menu button.
      await page.getByRole('button', { name: 'Menu' }).click();
      await page.getByRole('link', { name: 'Mail & alerts' }).click();
      const frame = page.getByRole('region', { name: 'Alert rules' });
      await frame.waitFor();
      expect(await frame.getAttribute('tabindex')).toBe('0');
      await frame.focus();
      await page.keyboard.press('ArrowRight');
      await eventually(async () => (await frame.evaluate((el) => el.scrollLeft)) > 0, STEP_MS, 'the table to scroll');
    } finally {
      await page.context().close();
    }
  }, 300_000);

  it('shows the doctor report on the settings page, in both languages', async () => {
    const page = await signIn();
    try {
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByTestId('doctor-status').filter({ hasText: 'all pass' }).waitFor();
      await page
        .getByTestId('check-database')
        .filter({ hasText: /sqlite answered in [\d.]+ ms/ })
        .waitFor();
      await page.getByTestId('doctor-settings').locator('tbody tr').filter({ hasText: 'AI_STACK_DATA_DIR' }).waitFor();
      await page.getByTestId('doctor-settings').locator('tbody tr').filter({ hasText: 'AI_STACK_MAIL_SECRET' }).filter({ hasText: 'unset' }).waitFor();
      await accessible(page, 'ops-04-settings');
      await page.getByTestId('language').selectOption('zh-CN');
      await page.getByRole('heading', { name: '设置', exact: true }).waitFor();
      await page.getByTestId('doctor-status').filter({ hasText: '全部通过' }).waitFor();
      await accessible(page, 'ops-05-settings-zh');
    } finally {
      await page.context().close();
    }
  }, 300_000);
});
