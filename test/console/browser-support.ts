import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page, type ViewportSize } from 'playwright-core';

// Debian's chromium (installed by .ci/system-packages); never a downloaded browser.
export const CHROMIUM = '/usr/bin/chromium';
export const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
// A loaded 2-core machine can take seconds per step; every wait is for an explicit UI state, with room to spare.
export const STEP_MS = 60_000;
/** Screenshots of each page: test artefacts, gitignored. */
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'console');

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: STEP_MS });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page (WCAG 2.1 A/AA and best practices) and returns its violations, each as one
 * line. `evaluate` runs through the DevTools protocol, so the console's CSP (no inline scripts) stays on.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations;
  });
  return violations.map(
    (v) =>
      `${v.id} (${v.impact ?? '?'}): ${v.help} at ${v.nodes
        .map((n) => n.target.join(' '))
        .slice(0, 3)
        .join(', ')}`,
  );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export interface SignInOptions {
  viewport?: ViewportSize;
  /** Runs on the sign-in page before the form is filled (e.g. a layout check of the signed-out page). */
  onLoginPage?: (page: Page) => Promise<void>;
}

/** A new English browser context signed in through the console's own form, waiting for the overview. */
export async function signIn(browser: Browser, baseUrl: string, username: string, password: string, options: SignInOptions = {}): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US', ...(options.viewport ? { viewport: options.viewport } : {}) });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  await page.goto(`${baseUrl}/login`);
  await options.onLoginPage?.(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('overview').waitFor();
  return page;
}
