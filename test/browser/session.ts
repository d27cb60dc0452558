// What a browser test stands on: a test gateway served over loopback HTTP, and Chromium with one page
// whose script errors are collected. Each is closed in the reverse order of its start, also when a
// later step fails to start, so no test leaves a gateway, a port or a browser behind.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../support/gateway.js';
import { listen, type Listening } from '../support/listen.js';
import { launchChromium, type Browser, type Device } from './chromium.js';

/** A test gateway and the server a browser reaches it on (`server.url`). */
export interface Served extends AsyncDisposable {
  t: TestGateway;
  server: Listening;
}

/** Starts a test gateway and serves it: `await using served = await serve({ … })`. */
export async function serve(options: TestGatewayOptions): Promise<Served> {
  const t = await startTestGateway(options);
  try {
    const server = await listen(t.gateway);
    return {
      t,
      server,
      async [Symbol.asyncDispose]() {
        await server.close();
        await t.close();
      },
    };
  } catch (error) {
    await t.close();
    throw error;
  }
}

export interface BrowserSession extends Served {
  browser: Browser;
  page: Page;
  /** The page's console errors and uncaught exceptions so far. */
  errors: string[];
}

/** A served gateway, Chromium on `device` (its default screen without one) and a blank page. */
export async function openBrowserSession(options: TestGatewayOptions, device?: Device): Promise<BrowserSession> {
  const served = await serve(options);
  try {
    const browser = await launchChromium(device ? { device } : {});
    const { page, errors } = await browser.newPage().catch(async (error: unknown) => {
      await browser.close();
      throw error;
    });
    return {
      ...served,
      browser,
      page,
      errors,
      async [Symbol.asyncDispose]() {
        await browser.close();
        await served[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await served[Symbol.asyncDispose]();
    throw error;
  }
}

/**
 * One browser session for the calling describe block, shared by its tests in order: beforeAll opens
 * it (with the options `gateway` gives, computed then) and hands it to `use`; afterAll closes it.
 */
export function useBrowserSession(
  gateway: () => TestGatewayOptions | Promise<TestGatewayOptions>,
  device: Device | undefined,
  use: (session: BrowserSession) => void | Promise<void>,
): void {
  let session: BrowserSession | undefined;
  beforeAll(async () => {
    session = await openBrowserSession(await gateway(), device);
    await use(session);
  });
  afterAll(async () => {
    await session?.[Symbol.asyncDispose]();
  });
}
