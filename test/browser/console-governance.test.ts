// The console's governance view in headless Chromium, on a desktop and a touch phone: risk badges in
// words, the last use, the one-line summary, quick filters and sorting by a column header. The seed
// gives each risk to known keys, so every badge, count and order below is exact. The tests only read.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { HyperstackSeedUser, OctopusSeedUser } from '../../src/simulators/index.js';
import type { Listening } from '../support/listen.js';
import { DESKTOP, PHONE, noChromium, type Device } from './chromium.js';
import { badges, keepState, keyNames, keyRow, overflowing, press, sortState, watchListRequests } from './console-page.js';
import { serve, useBrowserSession } from './session.js';

const DAY_MS = 86_400_000;

function seeds(now: number): { octopus: OctopusSeedUser[]; hyperstack: HyperstackSeedUser[] } {
  const at = (days: number | null) => (days === null ? null : new Date(now + days * DAY_MS));
  // Read-only unless said otherwise, so FULL_ACCESS is one key's risk, not every key's.
  const key = (purpose: string, createdDaysAgo: number, expiresInDays: number | null, lastUsedDaysAgo: number | null, fullAccess = false) => ({
    purpose,
    created: at(-createdDaysAgo)!,
    expires: at(expiresInDays),
    lastUsed: lastUsedDaysAgo === null ? null : at(-lastUsedDaysAgo),
    accessLevel: fullAccess ? ('FullAccess' as const) : ('ReadOnly' as const),
  });
  return {
    octopus: [
      {
        id: 'Users-1',
        username: 'maria',
        displayName: 'Maria Okafor',
        isAdmin: true,
        keys: [
          key('Laptop CLI', 2, 170, 0.1), // keygate's own credential (the first seeded key)
          key('Old CI server', 50, -5, 6),
          key('Staging deploys', 30, 3, 1),
          key('Release notes', 20, 20, 2, true),
          key('Legacy script', 40, null, 1.5),
          key('Release pipeline', 120, 246, 3),
          key('Forgotten key', 100, 80, null),
          key('Abandoned integration', 200, 166, 120),
        ],
      },
    ],
    hyperstack: [
      {
        name: 'maria',
        keys: [
          { name: 'gpu-batch', description: 'Nightly batch VMs', createdAt: at(-10)! }, // keygate's own credential
          { name: 'old-notebook', description: null, createdAt: at(-95)! },
        ],
      },
    ],
  };
}

const NEWEST_FIRST = [
  'Laptop CLI',
  'gpu-batch',
  'Release notes',
  'Staging deploys',
  'Legacy script',
  'Old CI server',
  'old-notebook',
  'Forgotten key',
  'Release pipeline',
  'Abandoned integration',
];
const BY_NAME = [
  'Abandoned integration',
  'Forgotten key',
  'gpu-batch',
  'Laptop CLI',
  'Legacy script',
  'Old CI server',
  'old-notebook',
  'Release notes',
  'Release pipeline',
  'Staging deploys',
];
/** Keys that never expire (or were never used) come last in either direction, in an order of their own. */
const SOONEST_EXPIRY = ['Old CI server', 'Staging deploys', 'Release notes', 'Forgotten key', 'Abandoned integration', 'Laptop CLI', 'Release pipeline'];
const MOST_RECENTLY_USED = ['Laptop CLI', 'Staging deploys', 'Legacy script', 'Release notes', 'Release pipeline', 'Old CI server', 'Abandoned integration'];

describe.skipIf(noChromium).each([DESKTOP, PHONE])('key console governance in Chromium on a $name', (device: Device) => {
  let server: Listening;
  let page: Page;
  let errors: string[];

  useBrowserSession(
    () => {
      const { octopus, hyperstack } = seeds(Date.now());
      return { env: { LOG_LEVEL: 'silent' }, octopus: { users: octopus }, hyperstack: { users: hyperstack } };
    },
    device,
    (session) => void ({ server, page, errors } = session),
  );

  const state = (name: string) => keepState(page, `console-governance-${device.name}-${name}`);
  const summary = () => page.locator('#summary').textContent();
  const riskSummary = () => page.locator('#risk-summary').textContent();
  const quick = (name: string) => page.getByRole('radio', { name, exact: true });
  /** The header's button, by its column's name. */
  const header = (name: string) => page.locator('#keys thead').getByRole('button', { name, exact: true });

  async function open(url = server.url): Promise<void> {
    await page.goto(`${url}/`);
    await expect.poll(summary).toMatch(/keys?, newest first/);
  }

  it('marks every risk of a key in words, with the key keygate uses, and sums them up above the table', async () => {
    await open();
    expect(await keyNames(page)).toEqual(NEWEST_FIRST);
    const expected: Record<string, string[]> = {
      'Laptop CLI': ['Used by keygate'],
      'gpu-batch': ['Used by keygate', 'Never expires'],
      'Release notes': ['Expires in 20 days', 'Full access'],
      'Staging deploys': ['Expires in 3 days'],
      'Legacy script': ['Never expires'],
      'Old CI server': ['Expired'],
      'old-notebook': ['Never expires', 'Older than 90 days'],
      'Forgotten key': ['Older than 90 days', 'Never used'],
      'Release pipeline': ['Older than 90 days'],
      'Abandoned integration': ['Older than 90 days', 'Unused for 120 days'],
    };
    for (const [name, words] of Object.entries(expected)) expect({ name, badges: await badges(page, name) }).toEqual({ name, badges: words });
    // keygate's own key is labelled, and has no risk of its own.
    expect(await keyRow(page, 'Laptop CLI').locator('td[data-label="Risks"] [data-risk]').count()).toBe(0);

    expect(await riskSummary()).toBe(
      '1 key has expired; 2 expire within 30 days; 3 never expire; 4 are older than 90 days; 2 have not been used for 90 days; 1 has full access.',
    );
    expect(await page.locator('#keys').getAttribute('aria-describedby')).toContain('risk-summary');

    // Last use: how long ago (the exact time for machines), and why there is none.
    const lastUsed = (name: string) => keyRow(page, name).locator('td[data-label="Last used"]');
    expect(await lastUsed('Abandoned integration').textContent()).toBe('4 months ago');
    expect(await lastUsed('Release pipeline').textContent()).toBe('3 days ago');
    expect(await lastUsed('Release pipeline').locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await lastUsed('Forgotten key').textContent()).toBe('none recorded');
    expect(await lastUsed('gpu-batch').textContent()).toBe('not reported');
    expect(await keyRow(page, 'Legacy script').locator('td[data-label="Expires"]').textContent()).toBe('Never');

    expect(await overflowing(page)).toEqual([]);
    await state('01-risks');
  });

  it('sorts by a column header through orderBy, marking the header with aria-sort', async () => {
    await open();
    expect(await sortState(page)).toEqual({ Name: null, Created: 'descending', Expires: null, 'Last used': null });
    const requests = watchListRequests(page);

    await press(device, header('Name'));
    await expect.poll(() => keyNames(page)).toEqual(BY_NAME);
    expect(requests.map((r) => r.orderBy)).toEqual([{ field: 'NAME', direction: 'ASC' }]);
    expect(await sortState(page)).toEqual({ Name: 'ascending', Created: null, Expires: null, 'Last used': null });
    expect(await summary()).toBe('10 keys, by name, A to Z.');
    await state('02-by-name');

    // The same header again turns the order round.
    await press(device, header('Name'));
    await expect.poll(() => keyNames(page)).toEqual([...BY_NAME].reverse());
    expect(requests.at(-1)!.orderBy).toEqual({ field: 'NAME', direction: 'DESC' });
    expect(await sortState(page)).toMatchObject({ Name: 'descending' });

    await press(device, header('Expires'));
    await expect.poll(async () => (await keyNames(page)).slice(0, SOONEST_EXPIRY.length)).toEqual(SOONEST_EXPIRY);
    expect(new Set((await keyNames(page)).slice(SOONEST_EXPIRY.length))).toEqual(new Set(['Legacy script', 'gpu-batch', 'old-notebook']));
    expect(requests.at(-1)!.orderBy).toEqual({ field: 'EXPIRES_AT', direction: 'ASC' });
    expect(await summary()).toBe('10 keys, soonest expiry first.');

    // From the keyboard: the header is a button.
    await header('Last used').focus();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await keyNames(page)).slice(0, MOST_RECENTLY_USED.length)).toEqual(MOST_RECENTLY_USED);
    expect(requests.at(-1)!.orderBy).toEqual({ field: 'LAST_USED_AT', direction: 'DESC' });
    expect(await sortState(page)).toEqual({ Name: null, Created: null, Expires: null, 'Last used': 'descending' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Last used');

    await press(device, header('Created'));
    await expect.poll(() => keyNames(page)).toEqual(NEWEST_FIRST);
    expect(requests.at(-1)!.orderBy).toEqual({ field: 'CREATED_AT', direction: 'DESC' });
    // Every one was a first page, with its summary: the order is the gateway's, not the browser's.
    expect(requests.map((r) => [r.after, r.withSummary])).toEqual(requests.map(() => [null, true]));
  });

  it('filters by one risk at a time with the quick filters, in the chosen order', async () => {
    await open();
    const requests = watchListRequests(page);
    const choices = await page.locator('.quick-filters label').allTextContents();
    expect(choices.map((text) => text.trim())).toEqual(['All keys', 'Expiring soon', 'Never expires', 'Older than 90 days', 'Unused']);
    expect(await quick('All keys').isChecked()).toBe(true);

    await press(device, page.locator('.quick-filters label', { has: quick('Older than 90 days') }));
    await expect.poll(() => keyNames(page)).toEqual(['old-notebook', 'Forgotten key', 'Release pipeline', 'Abandoned integration']);
    expect(requests.at(-1)!.filter.risks).toEqual(['OLDER_THAN_POLICY']);
    expect(await summary()).toBe('4 keys, newest first.');
    // The summary speaks of the keys listed.
    expect(await riskSummary()).toBe('1 key never expires; 4 are older than 90 days; 2 have not been used for 90 days.');
    await state('03-older-than-policy');

    const cases: [string, string, string[]][] = [
      ['Expiring soon', 'EXPIRING_SOON', ['Release notes', 'Staging deploys']],
      ['Never expires', 'NEVER_EXPIRES', ['gpu-batch', 'Legacy script', 'old-notebook']],
      ['Unused', 'UNUSED', ['Forgotten key', 'Abandoned integration']],
    ];
    for (const [label, risk, names] of cases) {
      await press(device, page.locator('.quick-filters label', { has: quick(label) }));
      await expect.poll(() => keyNames(page)).toEqual(names);
      expect(requests.at(-1)!.filter.risks).toEqual([risk]);
    }
    // A filter and an order together.
    await press(device, page.locator('#keys thead').getByRole('button', { name: 'Name', exact: true }));
    await expect.poll(() => keyNames(page)).toEqual(['Abandoned integration', 'Forgotten key']);
    expect(requests.at(-1)).toMatchObject({ filter: { risks: ['UNUSED'] }, orderBy: { field: 'NAME', direction: 'ASC' } });
    await press(device, page.locator('#keys thead').getByRole('button', { name: 'Created', exact: true }));

    // A radio group: the arrow keys move along it.
    await quick('Unused').focus();
    await page.keyboard.press('ArrowRight'); // wraps round to the first
    await expect.poll(() => keyNames(page)).toEqual(NEWEST_FIRST);
    expect(await quick('All keys').isChecked()).toBe(true);
    expect(requests.at(-1)!.filter.risks).toBeNull();
  });

  it('follows the gateway\'s policy in every number it shows', async () => {
    const { octopus, hyperstack } = seeds(Date.now());
    await using served = await serve({
      env: { LOG_LEVEL: 'silent', MAX_KEY_AGE_DAYS: '60', EXPIRY_WARNING_DAYS: '7', UNUSED_DAYS: '30' },
      octopus: { users: octopus },
      hyperstack: { users: hyperstack },
    });
    const { server: strictServer } = served;
    await open(strictServer.url);
    expect(await riskSummary()).toBe(
      '1 key has expired; 1 expires within 7 days; 3 never expire; 4 are older than 60 days; 2 have not been used for 30 days; 1 has full access.',
    );
    expect(await page.getByRole('radio', { name: 'Older than 60 days', exact: true }).count()).toBe(1);
    expect(await badges(page, 'old-notebook')).toEqual(['Never expires', 'Older than 60 days']);
    // 20 days is not soon under this policy.
    expect(await badges(page, 'Release notes')).toEqual(['Full access']);
    await state('04-stricter-policy');
  });

  it('ran with no script error', () => {
    expect(errors).toEqual([]);
  });
});
