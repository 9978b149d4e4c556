// Headless Chromium (Debian's `chromium`, installed by scripts/setup-system.sh) driven by playwright-core,
// for the tests of the analysts' pages: every console error and every request the page makes is recorded.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CLONEWATCH_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run "bash scripts/setup-system.sh" (Debian package chromium) or set CLONEWATCH_CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'], timeout: 30_000 });
}

export interface OpenedPage {
  page: Page;
  /** Console messages of type error, and uncaught page errors. */
  errors: string[];
  /** Every URL the page asked for other than the page itself. */
  requests: string[];
  loadMs: number;
}

/** Open a local HTML file; any request that is not the file itself is recorded and refused. */
export async function openFile(browser: Browser, path: string, viewport = { width: 1280, height: 900 }): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport });
  const url = pathToFileURL(path).href;
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  const started = Date.now();
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  return { page, errors, requests, loadMs: Date.now() - started };
}
