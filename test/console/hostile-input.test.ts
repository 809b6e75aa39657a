import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../../src/console/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { defineTask, type TaskDefinition } from '../../src/tasks/index.ts';
import { settled, upload } from '../documents/support.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { axeViolations, launch, STEP_MS, signIn as signInAs } from './browser-support.ts';

const PASSWORD = 'a long hostile-input password';
const HOSTILE_TITLE = '<svg onload="window.__xss=21">Board <b>minutes</b>';
// File names carry no '"' (multipart sends it as %22) and no '/' (a path separator, cut off on upload).
const HOSTILE_FILE = '<img src=x onerror=window.__xss=22>minutes.txt';
/** Uploaded without a title: the file name becomes the title. */
const HOSTILE_FILE_TITLED = '<svg onload=window.__xss=23>notes.txt';
const HOSTILE_TEXT = '<script>window.__xss=24</script><img src=x onerror="window.__xss=25">';
const HOSTILE_NOTE = '<img src=x onerror="window.__xss=26"><script>window.__xss=27</script>';
const SESSION_COOKIE = 'ai_stack_session';

const echo = defineTask(
  'test.hostile_echo',
  { queue: 'sync', args: Type.Object({ note: Type.String() }, { additionalProperties: false }), retries: { max: 0 } },
  ({ note }) => {
    throw new Error(note);
  },
);

/**
 * Hostile text from every source the console shows, in a real browser: document titles and file names
 * (accepted ones: refused uploads are covered by the scenario), document text and search hits, task
 * arguments and errors. Then the attacks on the session itself: a request forged by a page of another
 * origin, and a session id planted before sign-in.
 */
describe('the console against hostile input, forged requests and planted sessions', () => {
  let svc: TestService;
  let browser: Browser;
  let titled: number;
  let untitled: number;
  let taskId: string;

  beforeAll(async () => {
    await ensureConsoleBuilt(silentLogger);
    svc = await startTestService('sqlite', {}, { tasks: { tasks: [echo] as TaskDefinition[], schedules: [] } });
    await svc.runtime.startBackground();
    expect((await svc.call('/admin/users', { method: 'POST', json: { username: 'operator', password: PASSWORD, role: 'admin' } })).status).toBe(201);
    const first = await upload(svc, Buffer.from(`Zebrafish minutes. ${HOSTILE_TEXT} The zebrafish budget grew.`), HOSTILE_FILE, { title: HOSTILE_TITLE });
    const second = await upload(svc, Buffer.from(`Zebrafish notes, kept apart. ${HOSTILE_TEXT}`), HOSTILE_FILE_TITLED);
    expect([first.status, second.status]).toEqual([202, 202]);
    titled = first.body.document.id;
    untitled = second.body.document.id;
    for (const id of [titled, untitled]) expect((await settled(svc, id)).status).toBe('ready');
    const handle = await svc.runtime.tasks.system.send(echo.name, { note: HOSTILE_NOTE });
    taskId = handle.id;
    await eventually(async () => (await handle.state()) === 'FAILURE', 30_000, 'the hostile task to fail');
    browser = await launch();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.cleanup();
  });

  const signIn = (): Promise<Page> => signInAs(browser, svc.baseUrl, 'operator', PASSWORD);

  /** Nothing the server sent became markup, and no hostile handler ran. */
  const expectInert = async (page: Page, where: string) => {
    expect(await page.locator('main img, main script, main svg, main iframe, main b').count(), where).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss), where).toBeUndefined();
  };

  it('shows hostile document titles, file names and text as text: in the list, the detail and search hits', async () => {
    const page = await signIn();
    try {
      await page.getByRole('link', { name: 'Documents' }).click();
      const first = page.getByTestId(`doc-${titled}`);
      const second = page.getByTestId(`doc-${untitled}`);
      expect(await first.locator('button.doc-title').textContent()).toBe(HOSTILE_TITLE);
      expect(await first.locator('button.doc-title + .muted').textContent()).toBe(HOSTILE_FILE);
      expect(await second.locator('button.doc-title').textContent()).toBe(HOSTILE_FILE_TITLED);
      await expectInert(page, 'documents');

      await first.locator('button.doc-title').click();
      await page.getByTestId('document-text').filter({ hasText: HOSTILE_TEXT }).waitFor();
      await expectInert(page, 'document detail');
      expect(await axeViolations(page)).toEqual([]);

      await page.getByRole('link', { name: 'Search' }).click();
      await page.getByTestId('search-input').fill('zebrafish');
      const titles = page.locator('.hits .hit-title');
      await eventually(
        async () => {
          await page.getByRole('button', { name: 'Search', exact: true }).click();
          await page.getByRole('status').filter({ hasText: 'results' }).waitFor();
          return (await titles.count()) === 2;
        },
        STEP_MS,
        'both documents among the hits',
      );
      expect((await titles.allTextContents()).sort()).toEqual([HOSTILE_TITLE, HOSTILE_FILE_TITLED].sort());
      expect((await page.locator('.hits .snippet').allTextContents()).every((s) => s.includes(HOSTILE_TEXT))).toBe(true);
      await expectInert(page, 'search');
    } finally {
      await page.context().close();
    }
  }, 300_000);

  it('shows hostile task arguments and errors as text, in the list and the attempt history', async () => {
    const page = await signIn();
    try {
      await page.getByRole('link', { name: 'Tasks' }).click();
      const row = page.getByTestId(`job-${taskId}`);
      expect(await row.locator('code').textContent()).toBe(JSON.stringify({ note: HOSTILE_NOTE }));
      expect(await row.locator('td.job-state .error').textContent()).toBe(HOSTILE_NOTE);
      await page.getByRole('button', { name: `Details of task ${taskId}` }).click();
      const attempt = page.getByTestId('task-detail').getByTestId('attempt-error').first();
      expect(await attempt.textContent()).toBe(`Error: ${HOSTILE_NOTE}`);
      await expectInert(page, 'tasks');
    } finally {
      await page.context().close();
    }
  }, 300_000);

  it("refuses writes that another origin's page sends with the signed-in browser's cookie", async () => {
    const page = await signIn();
    const attacker = await attackerSite(svc.baseUrl);
    try {
      // What a write from the console itself gets: the forged ones below would have worked without the check.
      const own = await page.evaluate(
        async (name) =>
          (await fetch('/admin/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, scopes: ['read'] }) }))
            .status,
        'same-origin control',
      );
      expect(own).toBe(201);

      // Same site, other origin (another port of 127.0.0.1): the SameSite=Strict cookie is sent, so the
      // Origin check is what refuses. Another site (localhost): the cookie is not even sent.
      for (const [origin, expected] of [
        [`http://127.0.0.1:${attacker.port}`, 403],
        [`http://localhost:${attacker.port}`, 401],
      ] as const) {
        const forged = page.waitForResponse((r) => r.url() === `${svc.baseUrl}/admin/keys` && r.request().method() === 'POST');
        await page.goto(`${origin}/form`);
        const formPost = await forged;
        expect(formPost.status(), `${origin} form`).toBe(expected);
        expect((await formPost.request().allHeaders()).cookie?.includes(`${SESSION_COOKIE}=`) ?? false, `${origin} cookie sent`).toBe(expected === 403);

        const logout = page.waitForResponse((r) => r.url() === `${svc.baseUrl}/api/v1/auth/logout-all`);
        await page.goto(`${origin}/fetch`);
        expect((await logout).status(), `${origin} fetch`).toBe(expected);
      }

      const keys = ((await (await svc.call('/admin/keys')).json()) as { data: { name: string }[] }).data.map((k) => k.name);
      expect(keys).toContain('same-origin control');
      expect(keys.filter((name) => name.startsWith('forged'))).toEqual([]);
      // Still signed in: the forged "sign out everywhere" ended nothing.
      await page.goto(`${svc.baseUrl}/overview`);
      await page.getByTestId('overview').waitFor();
      expect(await page.evaluate(async () => (await fetch('/api/v1/auth/session')).status)).toBe(200);
    } finally {
      await attacker.close();
      await page.context().close();
    }
  }, 300_000);

  it('replaces a session id planted in the browser before sign-in, and never accepts the planted one', async () => {
    const planted = 'attacker-chosen-session-id-0123456789';
    const context = await browser.newContext({ locale: 'en-US' });
    await context.addCookies([{ name: SESSION_COOKIE, value: planted, url: svc.baseUrl, httpOnly: true, sameSite: 'Strict' }]);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    try {
      await page.goto(`${svc.baseUrl}/overview`);
      await page.getByTestId('login-form').waitFor();
      await page.getByLabel('Username').fill('operator');
      await page.getByLabel('Password').fill(PASSWORD);
      const login = page.waitForRequest((r) => r.url() === `${svc.baseUrl}/api/v1/auth/login`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // The browser did present the planted id with the sign-in.
      expect((await (await login).allHeaders()).cookie).toContain(`${SESSION_COOKIE}=${planted}`);
      await page.getByTestId('overview').waitFor();

      const issued = (await context.cookies(svc.baseUrl)).find((c) => c.name === SESSION_COOKIE)!;
      expect(issued.value).not.toBe(planted);
      expect(issued).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      const session = (value: string) => svc.call('/api/v1/auth/session', { key: null, headers: { cookie: `${SESSION_COOKIE}=${value}` } });
      expect((await session(planted)).status).toBe(401);
      expect((await session(issued.value)).status).toBe(200);
    } finally {
      await context.close();
    }
  }, 300_000);
});

/**
 * A page the attacker controls, on another port: /form posts a form to the console's API, /fetch sends a
 * credentialed no-cors "sign out everywhere". Both carry whatever cookies the browser attaches on its own.
 */
async function attackerSite(target: string): Promise<{ port: number; close: () => Promise<void> }> {
  const pages: Record<string, string> = {
    '/form': `<form method="post" action="${target}/admin/keys"><input name="name" value="forged form"></form><script>document.forms[0].submit()</script>`,
    '/fetch': `<script>fetch(${JSON.stringify(`${target}/api/v1/auth/logout-all`)}, { method: 'POST', mode: 'no-cors', credentials: 'include' })</script>`,
  };
  const server: Server = createServer((req, res) => {
    const body = pages[req.url ?? ''];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body ? `<!doctype html><title>attacker</title>${body}` : '');
  });
  // No host: both IPv4 and IPv6 loopback answer, whichever "localhost" resolves to.
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
