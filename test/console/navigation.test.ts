import type { Browser, Page, ViewportSize } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_ROUTES } from '../../fixtures/console-lighthouse.ts';
import { ensureConsoleBuilt } from '../../src/console/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { axeViolations, launch, screenshot, signIn as signInAs } from './browser-support.ts';

const PASSWORD = 'a long navigation password';
/** Every page in the navigation, in its order. */
const NAV_PATHS = CONSOLE_ROUTES.filter((route) => route !== '/login');

interface Widths {
  viewport: number;
  page: number;
  /** How far the header's content reaches past its box: above 0 means something is cut off or scrolled away. */
  headerOverflow: number;
}

// The tests' TypeScript has no DOM library: what the page functions touch is typed here.
interface Doc {
  documentElement: { scrollWidth: number };
  querySelector(selector: string): { scrollWidth: number; clientWidth: number } | null;
  elementFromPoint(x: number, y: number): { closest(selector: string): { getAttribute(name: string): string | null } | null } | null;
  activeElement: { getAttribute(name: string): string | null } | null;
}
const widths = (page: Page): Promise<Widths> =>
  page.evaluate(() => {
    const g = globalThis as unknown as { document: Doc; innerWidth: number };
    const header = g.document.querySelector('header');
    return { viewport: g.innerWidth, page: g.document.documentElement.scrollWidth, headerOverflow: header ? header.scrollWidth - header.clientWidth : -1 };
  });

/** The href of the focused element (null when it is not a link), and its aria-controls (the menu button's). */
const focused = (page: Page) =>
  page.evaluate(() => {
    const active = (globalThis as unknown as { document: Doc }).document.activeElement;
    return { href: active?.getAttribute('href') ?? null, controls: active?.getAttribute('aria-controls') ?? null };
  });

/**
 * Each navigation link is shown, inside the viewport, and is what a pointer at its centre would hit (not
 * clipped by a scrolling header, not covered). Returns what is wrong, one line per link.
 */
/** The page and the header fit the viewport's width. */
async function expectFits(page: Page, what = ''): Promise<void> {
  const w = await widths(page);
  expect(w.page, `${what} page width`).toBeLessThanOrEqual(w.viewport);
  expect(w.headerOverflow, `${what} header overflow`).toBe(0);
}

/** The header's navigation (pages may have navigation landmarks of their own). */
const nav = (page: Page) => page.locator('header nav');

async function unreachableLinks(page: Page): Promise<string[]> {
  const viewport = page.viewportSize()!;
  const problems: string[] = [];
  for (const path of NAV_PATHS) {
    const link = nav(page).locator(`a[href="${path}"]`);
    if (!(await link.isVisible())) {
      problems.push(`${path}: hidden`);
      continue;
    }
    const box = (await link.boundingBox())!;
    if (box.x < 0 || box.y < 0 || box.x + box.width > viewport.width || box.y + box.height > viewport.height) {
      problems.push(`${path}: at ${JSON.stringify(box)}, outside ${viewport.width}×${viewport.height}`);
      continue;
    }
    const hit = await page.evaluate(
      ([x, y]) => (globalThis as unknown as { document: Doc }).document.elementFromPoint(x, y)?.closest('a')?.getAttribute('href') ?? null,
      [box.x + box.width / 2, box.y + box.height / 2] as const,
    );
    if (hit !== path) problems.push(`${path}: a pointer at its centre hits ${hit ?? 'something else'}`);
  }
  return problems;
}

// The header holds ten pages, the language and the account controls: at 1280 px it wraps instead of
// overflowing; below 48rem the links and controls fold behind a Menu button (a disclosure).
describe('console navigation at desktop and phone widths', () => {
  let svc: TestService;
  let browser: Browser;

  beforeAll(async () => {
    await ensureConsoleBuilt(silentLogger);
    svc = await startTestService('sqlite');
    expect((await svc.call('/admin/users', { method: 'POST', json: { username: 'navigator', password: PASSWORD, role: 'admin' } })).status).toBe(201);
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.cleanup();
  });

  const signIn = (viewport: ViewportSize): Promise<Page> =>
    signInAs(browser, svc.baseUrl, 'navigator', PASSWORD, { viewport, onLoginPage: (page) => expectFits(page, 'sign-in') });

  it('fits at 1280×800 on every page, in both languages: no horizontal overflow, every link visible and reachable by Tab', async () => {
    const page = await signIn({ width: 1280, height: 800 });
    try {
      expect(await page.getByRole('button', { name: 'Menu' }).isVisible()).toBe(false);
      for (const locale of ['en', 'zh-CN']) {
        await page.getByTestId('language').selectOption(locale);
        for (const path of NAV_PATHS) {
          await nav(page).locator(`a[href="${path}"]`).click();
          await page.getByTestId(path.slice(1)).waitFor();
          expect(page.url()).toBe(`${svc.baseUrl}${path}`);
          expect(await nav(page).locator('a[aria-current="page"]').getAttribute('href')).toBe(path);
          await expectFits(page, `${locale} ${path}:`);
          expect(await unreachableLinks(page), `${locale} ${path}`).toEqual([]);
        }
      }
      await screenshot(page, 'nav-1280-zh');

      // The keyboard: from the top of the page, Tab visits every link in order; Enter follows one.
      await page.getByTestId('language').selectOption('en');
      await page.goto(`${svc.baseUrl}/overview`);
      await page.getByTestId('overview').waitFor();
      const visited: string[] = [];
      for (let i = 0; i < NAV_PATHS.length; i++) {
        await page.keyboard.press('Tab');
        visited.push((await focused(page)).href ?? '(not a link)');
      }
      expect(visited).toEqual(NAV_PATHS);
      await page.keyboard.press('Enter');
      await page.getByTestId('settings').waitFor();
      expect(page.url()).toBe(`${svc.baseUrl}/settings`);
      expect(await axeViolations(page)).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 300_000);

  it.each([
    { width: 320, height: 640 },
    { width: 412, height: 823 },
  ])(
    'folds into a Menu button at $width px: keyboard open, Escape, links inside the screen, no overflow',
    async (viewport) => {
      const page = await signIn(viewport);
      try {
        const toggle = page.getByRole('button', { name: 'Menu' });
        const tasks = nav(page).getByRole('link', { name: 'Tasks' });
        await expectFits(page, 'menu folded:');
        expect(await toggle.getAttribute('aria-expanded')).toBe('false');
        expect(await tasks.isVisible()).toBe(false);

        // From the top of a freshly loaded page the button is the first stop; Enter opens the menu, Tab goes on into its links.
        await page.goto(`${svc.baseUrl}/overview`);
        await page.getByTestId('overview').waitFor();
        await page.keyboard.press('Tab');
        expect((await focused(page)).controls).toBe('console-menu');
        await page.keyboard.press('Enter');
        expect(await toggle.getAttribute('aria-expanded')).toBe('true');
        expect(await unreachableLinks(page)).toEqual([]);
        expect(await page.getByTestId('language').isVisible()).toBe(true);
        expect(await page.getByTestId('sign-out').isVisible()).toBe(true);
        await expectFits(page, 'menu open:');
        expect(await axeViolations(page)).toEqual([]);
        await screenshot(page, `nav-${viewport.width}-open`);
        await page.keyboard.press('Tab');
        expect((await focused(page)).href).toBe('/overview');

        // Escape folds it and gives focus back to the button.
        await page.keyboard.press('Escape');
        expect(await toggle.getAttribute('aria-expanded')).toBe('false');
        expect((await focused(page)).controls).toBe('console-menu');
        expect(await tasks.isVisible()).toBe(false);

        // Following a link folds it too; the page below fits the screen (wide tables scroll inside themselves).
        await page.keyboard.press('Enter');
        await tasks.click();
        await page.getByTestId('tasks').waitFor();
        expect(await toggle.getAttribute('aria-expanded')).toBe('false');
        expect(await tasks.isVisible()).toBe(false);
        await expectFits(page, '/tasks:');
        expect(await axeViolations(page)).toEqual([]);
      } finally {
        await page.context().close();
      }
    },
    300_000,
  );
});
