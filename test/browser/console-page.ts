// What the key console's browser tests share: finding keys on the page, checking the layout, and
// holding or watching the page's GraphQL requests (never a clock: each waits on the page or the wire).
import type { Locator, Page, Request } from 'playwright-core';
import { expect, onTestFinished } from 'vitest';
import { axeViolations } from './axe.js';
import { screenshot, type Device } from './chromium.js';

/** The key rows of the table (confirmation rows of revoked keys aside). */
export const keyRows = (page: Page): Locator => page.locator('#keys tbody tr[data-id]');

/** The row of the key named `name` (its row header, exactly). */
export const keyRow = (page: Page, name: string): Locator => keyRows(page).filter({ has: page.getByRole('rowheader', { name, exact: true }) });

/** The names of the keys on screen, top to bottom. */
export const keyNames = (page: Page): Promise<string[]> => page.locator('#keys tbody th').allTextContents();

/** A tap on a touch screen, a click elsewhere. */
export const press = (device: Device, locator: Locator): Promise<void> => (device.hasTouch ? locator.tap() : locator.click());

/**
 * A state worth keeping: saves test-artifacts/browser/<name>.png and checks the page with axe in the
 * light and the dark colour scheme.
 */
export async function keepState(page: Page, name: string, options?: { fullPage?: boolean }): Promise<void> {
  await screenshot(page, name, options);
  expect(await axeViolations(page), `axe on ${name}`).toEqual([]);
}

/** Elements reaching past the viewport's sides (none may: nothing should need sideways scrolling). */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const found: string[] = [];
    if (document.documentElement.scrollWidth > width) found.push(`the page is ${document.documentElement.scrollWidth} px wide`);
    if (innerWidth !== width) found.push(`the page is zoomed out to ${innerWidth} px`);
    for (const node of document.querySelectorAll('body *')) {
      const box = node.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (box.left < -0.5 || box.right > width + 0.5) {
        const name = `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ''}${node.className ? `.${String(node.className).replace(/ /g, '.')}` : ''}`;
        found.push(`${name} “${node.textContent?.trim().slice(0, 30)}” spans ${Math.round(box.left)}–${Math.round(box.right)} px`);
      }
    }
    return found;
  });
}

/** Whether the whole element is inside the viewport (to half a pixel: line heights are fractional). */
export function inView(locator: Locator): Promise<boolean> {
  return locator.evaluate((node) => {
    const box = node.getBoundingClientRect();
    const { clientWidth, clientHeight } = document.documentElement;
    return box.left >= -0.5 && box.top >= -0.5 && box.right <= clientWidth + 0.5 && box.bottom <= clientHeight + 0.5;
  });
}

export interface HeldRequest {
  /** Resolves when the page has sent the request (and it is held). */
  arrived: Promise<void>;
  /** Lets it go on to the gateway unchanged, and waits until it has. */
  release(): Promise<void>;
}

/**
 * Holds the page's next request for GraphQL operation `operation` (a query or mutation name) until
 * `release()`: in flight, as far as the page can tell. A test that fails lets go too.
 */
export async function holdOperation(page: Page, origin: string, operation: string): Promise<HeldRequest> {
  let arrived!: () => void;
  let release!: () => void;
  const arrival = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  let sent: Promise<void> | undefined; // the held request, on its way to the gateway after release
  const pattern = `${origin}/graphql`;
  await page.route(pattern, async (route) => {
    if (!sent && operationOf(route.request()) === operation) {
      sent = released.then(() => route.continue());
      arrived();
      return sent;
    }
    return route.continue();
  });
  let done: Promise<void> | undefined;
  const letGo = () =>
    (done ??= (async () => {
      release();
      await sent;
      await page.unroute(pattern);
    })());
  onTestFinished(letGo);
  return { arrived: arrival, release: letGo };
}

/** The name of the GraphQL operation a request of the page sends. */
export function operationOf(request: Request): string | undefined {
  return /^\s*(?:query|mutation)\s+(\w+)/.exec(String(request.postDataJSON()?.query ?? ''))?.[1];
}

export interface ListVariables {
  first: number;
  after: string | null;
  filter: { search: string | null; providers: string[] | null; accounts: string[] | null; risks: string[] | null; octopusUsers: string | null };
  orderBy: { field: string; direction: string };
  withSummary: boolean;
}

/**
 * The variables of the list requests the page sends from now on, in order, for a test to check
 * that what it clicked became the request it meant (an orderBy, a filter) rather than browser work.
 */
export function watchListRequests(page: Page): ListVariables[] {
  const seen: ListVariables[] = [];
  const onRequest = (request: Request) => {
    if (request.url().endsWith('/graphql') && operationOf(request) === 'ConsoleKeys') seen.push(request.postDataJSON().variables as ListVariables);
  };
  page.on('request', onRequest);
  onTestFinished(() => void page.off('request', onRequest));
  return seen;
}

/** The sortable headers and their aria-sort, e.g. { Name: null, Created: 'descending', … }. */
export function sortState(page: Page): Promise<Record<string, string | null>> {
  return page
    .locator('#keys thead th.sortable')
    .evaluateAll((ths) => Object.fromEntries(ths.map((th) => [th.textContent!.trim(), th.getAttribute('aria-sort')])));
}

/** The badges of a key's row, in words. */
export const badges = (page: Page, name: string): Promise<string[]> => keyRow(page, name).locator('td[data-label="Risks"] li').allTextContents();

/**
 * From now until the test ends, the page's key lists mark no key as keygate's own: a list read
 * before keygate's credential changed, so that only the gateway's refusal can ask the second question.
 */
export async function listsForgetGatewayKeys(page: Page, origin: string): Promise<void> {
  const pattern = `${origin}/graphql`;
  await page.route(pattern, async (route) => {
    if (operationOf(route.request()) !== 'ConsoleKeys') return route.continue();
    const response = await route.fetch();
    const json = await response.json();
    for (const key of json.data?.apiKeys?.nodes ?? []) key.usedByGateway = false;
    return route.fulfill({ response, json });
  });
  onTestFinished(() => page.unroute(pattern));
}

/** How an answer is lost: a reset connection, or a proxy's JSON error page in its place. */
export type LostAnswer = 'reset' | 'proxy';

/**
 * From now until the test ends, the page's requests for GraphQL operation `operation` reach the
 * gateway, which acts on them, but their answers never arrive: the connection is reset instead, or
 * (`proxy`) a proxy in between answers 504 with a JSON body of its own.
 */
export async function loseAnswersTo(page: Page, origin: string, operation: string, how: LostAnswer = 'reset'): Promise<void> {
  const pattern = `${origin}/graphql`;
  await page.route(pattern, async (route) => {
    if (operationOf(route.request()) !== operation) return route.continue();
    await route.fetch();
    if (how === 'reset') return route.abort('connectionreset');
    // What API Gateway or Kong answer when the service behind them is slow: JSON, but no GraphQL result.
    return route.fulfill({ status: 504, contentType: 'application/json', body: '{"message":"Endpoint request timed out"}' });
  });
  onTestFinished(() => page.unroute(pattern));
}
