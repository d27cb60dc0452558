// The console's Activity view in headless Chromium, on a desktop and a touch phone: keygate's audit
// trail after the test's own actions in the Keys view, newest first and in words, paged, narrowed by
// action and provider, and a card per event on the phone. Within a device the tests run in order.
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Request } from 'playwright-core';
import type { TestGateway } from '../support/gateway.js';
import type { Listening } from '../support/listen.js';
import { DESKTOP, PHONE, noChromium, type Device } from './chromium.js';
import { holdOperation, inView, keepState, keyRow, operationOf, overflowing, press } from './console-page.js';
import { useBrowserSession } from './session.js';

const DEVICES: Device[] = [DESKTOP, PHONE];

describe.skipIf(noChromium).each(DEVICES)('the Activity view on a $name', (device) => {
  let t: TestGateway;
  let server: Listening;
  let page: Page;
  let errors: string[];

  // Two creates per window: the test's third is refused, so the trail holds a refusal too.
  useBrowserSession(() => ({ env: { LOG_LEVEL: 'silent', CREATE_RATE_LIMIT: '2' } }), device, (session) => void ({ t, server, page, errors } = session));

  const state = (name: string, options?: { fullPage?: boolean }) => keepState(page, `console-activity-${device.name}-${name}`, options);
  const tap = (locator: Locator) => press(device, locator);
  const events = () => page.locator('#events tbody tr');
  const column = (label: string) => events().locator(`td[data-label="${label}"]`).allTextContents();
  const actions = () => events().locator('th').allTextContents();
  const summary = () => page.locator('#activity-summary');
  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  /** Every event the gateway was asked to record is in the store (writes do not hold up responses). */
  const settled = () => t.gateway.store!.trail.settle();

  /** The filters of the activity requests the page sends from now on. */
  function watchActivityRequests(): { first: number; after: string | null; filter: Record<string, unknown> }[] {
    const seen: { first: number; after: string | null; filter: Record<string, unknown> }[] = [];
    const onRequest = (request: Request) => {
      if (request.url().endsWith('/graphql') && operationOf(request) === 'ConsoleActivity') seen.push(request.postDataJSON().variables);
    };
    page.on('request', onRequest);
    onTestFinished(() => void page.off('request', onRequest));
    return seen;
  }

  it('shows what the test just did in the Keys view, newest first, in words, and keeps the Keys view as it was', async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('#summary').textContent()).toBe('6 keys, newest first.');
    // Create, rotate it at once, revoke another key, then one create too many.
    await page.getByLabel('Purpose').fill('Activity test key');
    await tap(page.getByRole('button', { name: 'Create Octopus key' }));
    await expect.poll(() => page.locator('.secret').count()).toBe(1);
    await tap(keyRow(page, 'Activity test key').getByRole('button', { name: 'Rotate Activity test key', exact: true }));
    await tap(page.locator('#rotate-dialog').getByRole('radio', { name: 'Now, as soon as the replacement exists' }));
    await tap(page.locator('#rotate-dialog').getByRole('button', { name: 'Rotate key' }));
    await expect.poll(() => page.locator('.secret').count()).toBe(2);
    await tap(keyRow(page, 'ci-gpu-smoke-tests').getByRole('button', { name: 'Revoke ci-gpu-smoke-tests', exact: true }));
    await tap(page.locator('#revoke-dialog').getByRole('button', { name: 'Revoke key' }));
    await expect.poll(() => keyRow(page, 'ci-gpu-smoke-tests').count()).toBe(0);
    const form = page.locator('#create-hyperstack');
    await form.getByLabel('Name').fill('one-too-many');
    await tap(form.getByRole('button', { name: 'Generate Hyperstack key' }));
    await expect.poll(() => form.locator('[data-error]').textContent()).toMatch(/too many/i);
    const secrets = await page.locator('.secret input').evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value));
    await settled();

    const request = await holdOperation(page, server.url, 'ConsoleActivity');
    await tap(nav('Activity'));
    await request.arrived;
    // The view, its address and title, where the focus is, and which link is current.
    expect(new URL(page.url()).hash).toBe('#activity');
    expect(await page.title()).toBe('Activity · keygate');
    expect(await nav('Activity').getAttribute('aria-current')).toBe('page');
    expect(await nav('Keys').getAttribute('aria-current')).toBeNull();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Activity');
    expect(await page.locator('#keys-view').isHidden()).toBe(true);
    expect(await page.locator('#events').getAttribute('aria-busy')).toBe('true');
    await request.release();

    await expect.poll(actions).toEqual(['Generated a Hyperstack key', 'Revoked a key', 'Rotated a key', 'Created an Octopus key']);
    expect(await column('Outcome')).toEqual(['Refused: too many keys created', 'Done', 'Done', 'Done']);
    expect(await events().first().locator('td[data-label="Outcome"] span').getAttribute('title')).toBe('RATE_LIMITED');
    expect(await column('Key')).toEqual([
      '—',
      expect.stringMatching(/^ci-gpu-smoke-tests \S+$/), // the revoke names its key, with its hint
      expect.stringMatching(/^Activity test key API-\w{4}…$/),
      expect.stringMatching(/^Activity test key API-\w{4}…$/),
    ]);
    expect(await column('Provider')).toEqual(['Hyperstack', 'Hyperstack', 'Octopus Deploy', 'Octopus Deploy']);
    expect(await column('Who')).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1']);
    expect(await column('Details')).toEqual([
      expect.stringMatching(/^refused before it ran request [\w-]+$/),
      expect.stringMatching(/^request [\w-]+$/),
      expect.stringMatching(/^rotation 1; replacement Users-1\/apikeys-\w+ \(API-\w{4}\) request [\w-]+$/),
      expect.stringMatching(/^request [\w-]+$/),
    ]);
    // Times in the reader's locale (en-GB here, with seconds), the exact value in datetime and title.
    const when = events().first().locator('time');
    expect(await when.textContent()).toMatch(/^\d{1,2} \w{3} \d{4}, \d\d:\d\d:\d\d$/);
    expect(await when.getAttribute('title')).toBe(await when.getAttribute('datetime'));
    expect(await summary().textContent()).toBe('4 events, newest first.');
    expect(await page.locator('#activity-more').isHidden()).toBe(true);
    // No secret, ever: the trail has hints only.
    for (const secret of secrets) expect(await page.content()).not.toContain(secret);
    expect(await overflowing(page)).toEqual([]);
    if (device.hasTouch) expect(await events().first().evaluate((tr) => getComputedStyle(tr).display)).toBe('grid');
    await state('01-activity');

    // Back: the Keys view as it was, its secrets still there until dismissed.
    await page.goBack();
    await expect.poll(() => page.locator('#keys-view').isVisible()).toBe(true);
    expect(await page.title()).toBe('API keys · keygate');
    expect(await nav('Keys').getAttribute('aria-current')).toBe('page');
    expect(await page.locator('.secret input').evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value))).toEqual(secrets);
    expect(await page.locator('#activity-view').isHidden()).toBe(true);
    for (let left = secrets.length; left > 0; left--) await tap(page.getByRole('button', { name: /I have stored it/ }).first());
    expect(await page.locator('.secret').count()).toBe(0);
  });

  it('pages through a long trail with "Show more events", the keyboard going on from the first new event', async () => {
    // Older events, as other clients and keygate itself would have left them.
    const trail = t.gateway.store!.events;
    const dayAgo = Date.now() - 86_400_000;
    for (let i = 0; i < 60; i++) {
      const octopus = i % 3 !== 0;
      await trail.insert({
        at: new Date(dayAgo - i * 60_000),
        client: i % 10 === 0 ? 'keygate:scheduler' : 'client:ci-pipeline',
        operation: i % 10 === 0 ? 'scheduledRevoke' : octopus ? 'createOctopusApiKey' : 'generateHyperstackApiKey',
        provider: octopus ? 'OCTOPUS' : 'HYPERSTACK',
        account: 'default',
        keyName: `seeded ${i}`,
        outcome: i === 7 ? 'UPSTREAM_TIMEOUT' : 'OK',
      });
    }
    await page.goto(`${server.url}/#activity`);
    await page.reload(); // a fresh page, on the Activity view
    await expect.poll(() => summary().textContent()).toBe('Showing the newest 50 events.');
    expect(await events().count()).toBe(50);
    expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true);
    const more = page.getByRole('button', { name: 'Show more events' });
    expect(await more.isVisible()).toBe(true);
    // A new filter starts from its first page: while it loads, the old filter's "Show more" is gone,
    // so the old cursor cannot page the new filter.
    const provider = page.getByRole('combobox', { name: 'Provider' });
    const filtering = await holdOperation(page, server.url, 'ConsoleActivity');
    await provider.selectOption('HYPERSTACK');
    await filtering.arrived;
    expect(await more.isHidden()).toBe(true);
    await filtering.release();
    await expect.poll(() => summary().textContent()).toMatch(/^\d+ events, newest first\.$/);
    await provider.selectOption('');
    await expect.poll(() => summary().textContent()).toBe('Showing the newest 50 events.');
    expect(await more.isVisible()).toBe(true);
    const requests = watchActivityRequests();
    await more.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => events().count()).toBe(64);
    expect(requests).toEqual([{ first: 50, after: expect.any(String), filter: { operation: null, provider: null } }]);
    expect(await summary().textContent()).toBe('64 events, newest first.');
    expect(await more.isHidden()).toBe(true);
    // The focus is on the first event of the new page, and the order went on where it stopped.
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.querySelector('td[data-label="Key"]')?.textContent)).toBe('seeded 46');
    expect((await column('Key')).slice(-3)).toEqual(['seeded 57', 'seeded 58', 'seeded 59']);
    // Who and how it ended, in words.
    const timedOut = events().filter({ hasText: 'seeded 7' });
    expect(await timedOut.locator('td[data-label="Outcome"]').textContent()).toBe('Failed: Octopus Deploy did not answer in time');
    expect(await timedOut.locator('td[data-label="Who"]').textContent()).toBe('ci-pipeline');
    const scheduled = events().filter({ hasText: 'seeded 10' });
    expect(await scheduled.locator('th').textContent()).toBe('Revoked an old key on schedule');
    expect(await scheduled.locator('td[data-label="Who"]').textContent()).toBe('keygate, on schedule');
    expect(await overflowing(page)).toEqual([]);
  });

  it('narrows the trail by action and by provider, in the request it sends', async () => {
    const requests = watchActivityRequests();
    const action = page.getByRole('combobox', { name: 'Action' });
    const provider = page.getByRole('combobox', { name: 'Provider' });
    expect(await action.locator('option').allTextContents()).toEqual([
      'All actions',
      'Created an Octopus key',
      'Generated a Hyperstack key',
      'Renamed a Hyperstack key',
      'Revoked a key',
      'Rotated a key',
      'Completed a rotation',
      'Cancelled a rotation',
      'Revoked a leaked secret',
      'Revoked an old key on schedule',
      'Settled a crashed rotation',
    ]);
    await action.selectOption({ label: 'Rotated a key' });
    await expect.poll(actions).toEqual(['Rotated a key']);
    expect(await summary().textContent()).toBe('1 event, newest first.');
    await state('02-filtered');

    await action.selectOption({ label: 'Generated a Hyperstack key' });
    await expect.poll(() => events().count()).toBe(19); // 18 seeded, and the refusal
    await provider.selectOption('OCTOPUS');
    await expect.poll(() => summary().textContent()).toBe('No events match the filter.');
    expect(await events().count()).toBe(0);
    await action.selectOption('');
    await expect.poll(() => events().count()).toBe(42); // 40 seeded, the create and the rotation
    expect(new Set(await column('Provider'))).toEqual(new Set(['Octopus Deploy']));
    expect(requests.map((r) => r.filter)).toEqual([
      { operation: 'rotateApiKey', provider: null },
      { operation: 'generateHyperstackApiKey', provider: null },
      { operation: 'generateHyperstackApiKey', provider: 'OCTOPUS' },
      { operation: null, provider: 'OCTOPUS' },
    ]);
    expect(requests.every((r) => r.first === 50 && r.after === null)).toBe(true);
    expect(await overflowing(page)).toEqual([]);
    await state('03-by-provider');
  });

  it('is reached and left from the keyboard', async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('#summary').textContent()).toMatch(/newest first/);
    await nav('Activity').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'activity-heading');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('activity-operation');
    expect(await inView(page.locator('#activity-operation'))).toBe(true);
    await nav('Keys').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#keys-view').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
  });

  it('ran with no script error', () => {
    expect(errors).toEqual([expect.stringContaining('status of 429')]);
  });
});
