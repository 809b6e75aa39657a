import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../../src/console/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { launch, STEP_MS } from './browser-support.ts';

const PASSWORD = 'a long console password';
const HOSTILE = '<img src=x onerror="window.__xss=1">';

describe('the web console in a real browser', () => {
  let svc: TestService;
  let browser: Browser;

  beforeAll(async () => {
    await ensureConsoleBuilt(silentLogger);
    svc = await startTestService('sqlite');
    const created = await svc.call('/admin/users', { method: 'POST', json: { username: 'operator', password: PASSWORD, role: 'admin' } });
    expect(created.status).toBe(201);
    const queue = svc.runtime.tasks.system.queue(svc.runtime.tasks.system.queueNames[0]!);
    await queue.add(HOSTILE, { args: [HOSTILE, { note: '<script>window.__xss=2</script>' }] } as never);
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.cleanup();
  });

  async function open(locale: string): Promise<Page> {
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('dialog', (dialog) => void dialog.dismiss());
    return page;
  }

  it('signs in, shows the overview, switches language, lists tasks inertly and signs out', async () => {
    const page = await open('en-US');
    await page.goto(`${svc.baseUrl}/`);
    await page.getByTestId('login-form').waitFor();
    expect(page.url()).toBe(`${svc.baseUrl}/login`);
    await page.getByLabel('Username').fill('operator');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('overview').waitFor();
    await page.getByTestId('readiness').filter({ hasText: 'Ready' }).waitFor();
    await page.getByTestId('queue-counts').waitFor();
    await page.getByTestId('cache-hit-ratio').filter({ hasText: 'Hit ratio' }).waitFor();
    expect(page.url()).toBe(`${svc.baseUrl}/overview`);
    expect(await page.getByTestId('whoami').textContent()).toContain('operator');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'ai_stack_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    await page.getByTestId('language').selectOption('zh-CN');
    await page.getByRole('heading', { name: '概览' }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { lang: string } } }).document.documentElement.lang)).toBe(
      'zh-CN',
    );

    await page.getByRole('link', { name: '任务' }).click();
    await page.getByTestId('jobs').waitFor();
    const name = page.locator('td.task-name').filter({ hasText: HOSTILE });
    await name.waitFor();
    expect(await name.textContent()).toBe(HOSTILE);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();

    await page.getByTestId('sign-out').click();
    await page.getByTestId('login-form').waitFor();
    expect(await page.getByRole('heading', { name: '登录' }).count()).toBe(1);
    const after = await page.evaluate(async () => (await fetch('/api/v1/auth/session')).status);
    expect(after).toBe(401);
    await page.context().close();
  }, 300_000);

  it('starts in Chinese for a zh-CN browser', async () => {
    const page = await open('zh-CN');
    await page.goto(`${svc.baseUrl}/`);
    await page.getByRole('heading', { name: '登录' }).waitFor();
    expect(await page.getByTestId('language').inputValue()).toBe('zh-CN');
    await page.context().close();
  }, 120_000);
});
