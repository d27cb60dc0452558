// Headless Chromium for the browser tests: Debian's `chromium` package driven by playwright-core.
// Playwright never downloads a browser here; without /usr/bin/chromium the tests skip, unless
// REQUIRE_CHROMIUM=1 (set by .ci/run), where a missing browser must fail rather than pass quietly.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go (ignored by git). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/browser/', import.meta.url));

const available = existsSync(CHROMIUM_PATH);
if (!available && process.env.REQUIRE_CHROMIUM === '1') {
  throw new Error(`REQUIRE_CHROMIUM=1 but ${CHROMIUM_PATH} does not exist (apt-get install chromium)`);
}
if (!available) {
  console.warn(`\n  browser tests SKIPPED: ${CHROMIUM_PATH} not found. Install Debian's chromium package to run them.\n`);
}

/** True when the browser tests cannot run here; use with describe.skipIf. */
export const noChromium = !available;

// Quiet and offline: nothing but the pages under test goes over the network.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A screen to test on: the viewport, and whether it is a touch phone. */
export interface Device {
  name: string;
  viewport: { width: number; height: number };
  /** Touch events and `tap()` (a phone). */
  hasTouch?: boolean;
  /** Chromium's mobile mode: the meta viewport is honoured and the page can be zoomed out, as on a phone. */
  isMobile?: boolean;
  deviceScaleFactor?: number;
}

export const DESKTOP: Device = { name: 'desktop', viewport: { width: 1280, height: 800 } };
export const PHONE: Device = { name: 'phone', viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true };

export interface Browser {
  context: BrowserContext;
  /** A new page whose console errors and uncaught exceptions are collected. */
  newPage(): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile (Playwright passes it as --user-data-dir). */
export async function launchChromium(options: { locale?: string; timezoneId?: string; device?: Device } = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'keygate-chromium-'));
  const device = options.device ?? { name: 'default', viewport: { width: 1360, height: 900 } };
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: device.viewport,
    hasTouch: device.hasTouch ?? false,
    isMobile: device.isMobile ?? false,
    deviceScaleFactor: device.deviceScaleFactor ?? 1,
    locale: options.locale ?? 'en-GB',
    timezoneId: options.timezoneId ?? 'Europe/Amsterdam',
  });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      return { page, errors };
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Saves a screenshot to test-artifacts/browser/<name>.png: the whole page, or only the viewport
 * (`fullPage: false`) where a modal dialog's backdrop covers just the viewport.
 */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean; dir?: string } = {}): Promise<string> {
  const dir = options.dir ?? ARTIFACTS_DIR;
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? true });
  return path;
}

/** Collects every request the pages make anywhere but below `prefix` (data: and blob: URLs aside). */
export function requestsOutside(context: BrowserContext, prefix: string): string[] {
  const outside: string[] = [];
  context.on('request', (request) => {
    if (!request.url().startsWith(prefix) && !/^(data|blob):/.test(request.url())) outside.push(request.url());
  });
  return outside;
}
