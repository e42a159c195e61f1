// Real Chromium for UI tests: Debian's /usr/bin/chromium driven by playwright-core, a fresh
// profile per test, and a watch on everything that goes wrong in the page (console errors,
// uncaught exceptions, failed requests, HTTP errors): the test fails on any of them.
// Screenshots go to test-artifacts/ (gitignored), at desktop and phone widths.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO } from './daemon.js';
import { need } from './prereq.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(REPO, 'test-artifacts', 'ui');

/** Without the networking flags Chromium's outbound attempts hit this machine's closed network. */
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export function needChromium(t: TestContext): boolean {
  return need(t, existsSync(CHROMIUM), `browser tests need Debian's chromium at ${CHROMIUM} (apt install chromium)`);
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Everything that went wrong in the page so far. */
  problems: string[];
  /** Saves the current page at desktop and phone widths as <name>-desktop.png / <name>-phone.png. */
  screenshots(name: string): Promise<void>;
}

export async function openBrowser(t: TestContext, baseURL: string): Promise<Browser> {
  // Not tempDir(): its hook would run before the browser is closed (hooks run in the order
  // they were added) and race Chromium still writing its profile (ENOTEMPTY). One hook
  // closes the browser, then removes the profile.
  const profile = mkdtempSync(join(tmpdir(), 'haven-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: DESKTOP,
    baseURL,
    acceptDownloads: true,
    timeout: 30_000,
  });
  const problems: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  context.on('requestfailed', (req) => {
    // Aborted is the browser's own doing, not a failure: a download handed to the download
    // manager, or a page's fetch still in flight when the test navigates to the next page
    // (how often that happens depends only on how fast the machine is).
    if (req.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}`);
  });
  context.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  t.after(async () => {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    page,
    problems,
    async screenshots(name) {
      for (const [label, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
        await page.setViewportSize(size);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-${label}.png`), fullPage: true });
      }
      await page.setViewportSize(DESKTOP);
    },
  };
}

export function assertNoProblems(b: Browser): void {
  assert.deepEqual(b.problems, [], 'the page logged errors or had failed requests');
}

/** Fills the first-run form (any page shows it until an admin exists) and submits it. */
export async function createFirstAdmin(page: Page, code: string, password: string): Promise<void> {
  await page.getByLabel('Setup code').fill(code);
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password', { exact: false }).first().fill(password);
  await page.getByLabel('Repeat password').fill(password);
  await page.getByRole('button', { name: 'Create admin account' }).click();
}
