// The console with several accounts per provider, in headless Chromium on a desktop and a touch
// phone: two Octopus servers (default and "staging") and two Hyperstack credentials (default and
// "ml-team"). The account column and filter, the create forms' account choice, the all-users view
// with each key's owner, and an account that is down. Within a device the tests run in order and
// share the data: each says what it changes.
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { startOctopusSimulator, type OctopusSimulator } from '../../src/simulators/index.js';
import type { TestGateway } from '../support/gateway.js';
import type { Listening } from '../support/listen.js';
import { DESKTOP, PHONE, noChromium, type Device } from './chromium.js';
import { keepState, keyNames, keyRow, keyRows, overflowing, press, watchListRequests } from './console-page.js';
import { serve, useBrowserSession } from './session.js';

const HOUR_MS = 3_600_000;
const ago = (hours: number) => new Date(Date.now() - hours * HOUR_MS);
const later = (days: number) => new Date(Date.now() + days * 24 * HOUR_MS);

/** The credential's own keys of each account, newest first. */
const OWN_KEYS = ['Maria CLI', 'training', 'Staging admin', 'ml-batch', 'Deploy web'];
const OWN_ACCOUNTS = ['default', 'default', 'staging', 'ml-team', 'default'];
/** Every user's keys (Users-8 at staging cannot be read). */
const EVERYONE = ['Maria CLI', 'training', 'Staging admin', 'Staging deployer', 'TeamCity agent', 'ml-batch', 'Deploy web'];

describe.skipIf(noChromium).each([DESKTOP, PHONE])('key console with several accounts in Chromium on a $name', (device: Device) => {
  let staging: OctopusSimulator;
  let t: TestGateway;
  let server: Listening;
  let page: Page;
  let errors: string[];

  // Registered first, so it runs last: hooks after the tests run as a stack.
  afterAll(async () => {
    await staging?.close();
  });
  useBrowserSession(async () => {
    staging = await startOctopusSimulator({
      users: [
        { id: 'Users-1', username: 'ops', displayName: 'Ops', isAdmin: true, keys: [{ purpose: 'Staging admin', created: ago(3), expires: later(170) }] },
        { id: 'Users-7', username: 'svc-deploy', displayName: 'Deploy bot', isService: true, keys: [{ purpose: 'Staging deployer', created: ago(4), expires: later(170) }] },
        { id: 'Users-8', username: 'locked', displayName: 'Locked', keysForbidden: true, keys: [{ purpose: 'Unreadable', created: ago(6), expires: later(170) }] },
      ],
    });
    return {
      env: { LOG_LEVEL: 'silent' },
      octopus: {
        users: [
          {
            id: 'Users-1',
            username: 'maria',
            displayName: 'Maria Okafor',
            isAdmin: true,
            keys: [
              { purpose: 'Maria CLI', created: ago(1), expires: later(170) },
              { purpose: 'Deploy web', created: ago(10), expires: later(170) },
            ],
          },
          { id: 'Users-2', username: 'tomas', displayName: 'Tomas Lindqvist', keys: [{ purpose: 'TeamCity agent', created: ago(5), expires: later(170) }] },
        ],
      },
      hyperstack: {
        users: [
          { name: 'maria', keys: [{ name: 'training', description: 'Fine-tuning VMs', createdAt: ago(2) }] },
          { name: 'ml', keys: [{ name: 'ml-batch', description: null, createdAt: ago(7) }] },
        ],
      },
      accounts: ({ hyperstack }) => [
        { name: 'staging', provider: 'OCTOPUS', baseUrl: `${staging.url}/api`, apiKey: staging.credentials['Users-1'] },
        { name: 'ml-team', provider: 'HYPERSTACK', baseUrl: hyperstack.url, apiKey: hyperstack.credentials[1] },
      ],
    };
  }, device, (session) => void ({ t, server, page, errors } = session));

  const state = (name: string) => keepState(page, `console-accounts-${device.name}-${name}`);
  const summary = () => page.locator('#summary').textContent();
  const notices = () => page.locator('#notices p').allTextContents();
  const accounts = () => keyRows(page).locator('td[data-label="Account"]').allTextContents();
  const accountFilter = () => page.locator('#account');
  const octopusHost = () => new URL(t.octopus.url).host;
  const stagingHost = () => new URL(staging.url).host;

  async function open(): Promise<void> {
    await page.goto(`${server.url}/`);
    await expect.poll(summary).toMatch(/keys?, newest first/);
  }

  it('shows the account of each key, and filters by account, where a provider has several', async () => {
    await open();
    expect(await keyNames(page)).toEqual(OWN_KEYS);
    expect(await accounts()).toEqual(OWN_ACCOUNTS);
    expect(await page.locator('#keys thead th', { hasText: 'Account' }).isVisible()).toBe(true);
    // Whose keys: each Octopus account's own user.
    expect(await page.locator('#octopus-user').textContent()).toBe('Octopus keys of Maria Okafor (Users-1) at “default”, Ops (Users-1) at “staging”');

    const options = await accountFilter().locator('option').evaluateAll((nodes) =>
      nodes.map((node) => [(node.parentElement as HTMLOptGroupElement).label ?? '', (node as HTMLOptionElement).value, node.textContent]),
    );
    expect(options).toEqual([
      ['', '', 'All accounts'],
      ['Octopus Deploy', 'OCTOPUS/default', 'default'],
      ['Octopus Deploy', 'OCTOPUS/staging', 'staging'],
      ['Hyperstack', 'HYPERSTACK/default', 'default'],
      ['Hyperstack', 'HYPERSTACK/ml-team', 'ml-team'],
    ]);
    expect(await overflowing(page)).toEqual([]);
    await state('01-accounts');

    const requests = watchListRequests(page);
    await accountFilter().selectOption('OCTOPUS/staging');
    await expect.poll(() => keyNames(page)).toEqual(['Staging admin']);
    expect(requests.at(-1)!.filter).toMatchObject({ providers: ['OCTOPUS'], accounts: ['staging'] });
    // The provider follows the account it belongs to.
    expect(await page.getByRole('combobox', { name: 'Provider' }).inputValue()).toBe('OCTOPUS');
    expect(await summary()).toBe('1 key, newest first.');
    await state('02-one-account');

    // Another provider: the account no longer fits, so the filter lets go of it.
    await page.getByRole('combobox', { name: 'Provider' }).selectOption('HYPERSTACK');
    await expect.poll(() => keyNames(page)).toEqual(['training', 'ml-batch']);
    expect(await accountFilter().inputValue()).toBe('');
    expect(requests.at(-1)!.filter).toMatchObject({ providers: ['HYPERSTACK'], accounts: null });
    await accountFilter().selectOption('HYPERSTACK/ml-team');
    await expect.poll(() => keyNames(page)).toEqual(['ml-batch']);
    await page.getByRole('combobox', { name: 'Provider' }).selectOption('');
    await expect.poll(() => keyNames(page)).toEqual(OWN_KEYS);
  });

  it('offers each create form the accounts of its provider, and creates the key in the one chosen', async () => {
    await open();
    const form = page.locator('#create-octopus');
    const account = form.getByLabel('Account');
    const choices = () => account.locator('option').evaluateAll((nodes) => nodes.map((node) => node.textContent));
    expect(await choices()).toEqual(['Choose an account', `default (${octopusHost()})`, `staging (${stagingHost()})`]);
    expect(await page.locator('#create-hyperstack').getByLabel('Account').locator('option').allTextContents()).toEqual([
      'Choose an account',
      `default (${new URL(t.hyperstack.url).host})`,
      `ml-team (${new URL(t.hyperstack.url).host})`,
    ]);

    // Several accounts: the console does not guess which one is meant.
    await form.getByLabel('Purpose').fill('Made at staging');
    await press(device, form.getByRole('button', { name: 'Create Octopus key' }));
    expect(await form.locator('[data-error]').textContent()).toBe('Please choose an account.');
    expect(await account.evaluate((select) => select === document.activeElement)).toBe(true);
    await account.selectOption('staging');
    await state('03-create-in-account');

    await press(device, form.getByRole('button', { name: 'Create Octopus key' }));
    const panel = page.getByRole('region', { name: 'Secret of Made at staging' });
    await expect.poll(() => panel.count()).toBe(1);
    expect(await panel.locator('input').inputValue()).toMatch(/^API-[A-Z0-9]{20,}$/);
    expect(await panel.locator('[data-secret-provider]').textContent()).toBe('Octopus Deploy (account “staging”)');
    await expect.poll(() => keyRow(page, 'Made at staging').count()).toBe(1);
    expect(await keyRow(page, 'Made at staging').locator('td[data-label="Account"]').textContent()).toBe('staging');
    expect(staging.keysOf('Users-1').map((key) => key.purpose)).toContain('Made at staging');
    expect(t.octopus.keysOf('Users-1').map((key) => key.purpose)).not.toContain('Made at staging');
    // The next key starts in the same account.
    expect(await account.inputValue()).toBe('staging');
    expect(await form.getByLabel('Purpose').inputValue()).toBe('');
    await press(device, panel.getByRole('button', { name: /I have stored it/ }));

    // Its revoke dialog says where it is; revoking it puts the list back as the next test expects.
    await press(device, keyRow(page, 'Made at staging').getByRole('button', { name: 'Revoke Made at staging', exact: true }));
    const dialog = page.locator('#revoke-dialog');
    expect(await dialog.locator('[data-fact="account"]').textContent()).toBe(`staging (${stagingHost()})`);
    await press(device, dialog.getByRole('button', { name: 'Revoke key' }));
    await expect.poll(() => keyRow(page, 'Made at staging').count()).toBe(0);
    expect(staging.keysOf('Users-1').map((key) => key.purpose)).not.toContain('Made at staging');
  });

  it('lists every user\'s Octopus keys with their owner, and says whose keys could not be read', async () => {
    await open();
    const requests = watchListRequests(page);
    await page.getByLabel('Octopus keys of').selectOption('ALL');
    await expect.poll(() => keyNames(page)).toEqual(EVERYONE);
    expect(requests.at(-1)!.filter.octopusUsers).toBe('ALL');
    expect(await page.locator('#octopus-user').textContent()).toBe('Octopus keys of every user and service account');
    const owner = (name: string) => keyRow(page, name).locator('td[data-label="Owner"]');
    expect(await owner('Maria CLI').textContent()).toBe('Maria Okafor');
    expect(await owner('TeamCity agent').textContent()).toBe('Tomas Lindqvist');
    expect(await owner('Staging admin').textContent()).toBe('Ops');
    expect(await owner('Staging deployer').locator('[title]').textContent()).toBe('Deploy bot');
    expect(await owner('Staging deployer').locator('[title]').getAttribute('title')).toBe('svc-deploy (Users-7)');
    expect(await owner('Staging deployer').locator('.service').textContent()).toBe('service account');
    expect(await owner('training').textContent()).toBe('—');
    expect(await notices()).toEqual([expect.stringMatching(/^Octopus Deploy account “staging”, user Users-8 refused: ./)]);
    // The widest table: on a desktop it scrolls in its own box, the page does not.
    if (device.viewport.width >= 700) {
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(device.viewport.width);
    } else {
      expect(await overflowing(page)).toEqual([]);
    }
    await state('04-all-users');

    await page.getByLabel('Octopus keys of').selectOption('SELF');
    await expect.poll(() => keyNames(page)).toEqual(OWN_KEYS);
    expect(await page.locator('#keys thead th', { hasText: 'Owner' }).isHidden()).toBe(true);
    expect(await keyRows(page).locator('td[data-label="Owner"]').count()).toBe(0);
    expect(await notices()).toEqual([]);
  });

  it('says which account is down, and keeps the keys of the others', async () => {
    staging.fault('GET /api/users/{userId}/apikeys', { mode: 'error' });
    onTestFinished(() => staging.clearFaults());
    await open();
    expect(await notices()).toEqual(['Octopus Deploy account “staging” is unavailable: Octopus Deploy failed with HTTP 500.']);
    expect(await keyNames(page)).toEqual(OWN_KEYS.filter((name) => name !== 'Staging admin'));
    await state('05-account-down');

    await accountFilter().selectOption('OCTOPUS/staging');
    await expect.poll(summary).toBe('No keys shown: Octopus Deploy account “staging” is unavailable.');
    staging.clearFaults();
    await press(device, page.getByRole('button', { name: 'Refresh' }));
    await expect.poll(() => keyNames(page)).toEqual(['Staging admin']);
    expect(await notices()).toEqual([]);
    await accountFilter().selectOption('');
  });

  it('leaves an account without a credential out of the filter and the forms\' choices, and says so', async () => {
    await using served = await serve({
      env: { LOG_LEVEL: 'silent' },
      accounts: ({ hyperstack }) => [{ name: 'spare', provider: 'HYPERSTACK', baseUrl: hyperstack.url }],
    });
    const { t: partial, server: partialServer } = served;
    await page.goto(`${partialServer.url}/`);
    await expect.poll(summary).toMatch(/keys, newest first/);
    expect(await notices()).toEqual(['Hyperstack account “spare”: keys not shown, keygate has no credential for it.']);
    expect(await accountFilter().locator('option').evaluateAll((nodes) => nodes.map((node) => (node as HTMLOptionElement).value))).toEqual([
      '',
      'OCTOPUS/default',
      'HYPERSTACK/default',
    ]);
    const spare = page.locator('#create-hyperstack').getByLabel('Account').locator('option', { hasText: 'spare' });
    expect(await spare.textContent()).toBe(`spare (${new URL(partial.hyperstack.url).host}): no credential`);
    expect(await spare.isDisabled()).toBe(true);
    await state('06-account-without-credential');
  });

  it('ran with no script error', () => {
    expect(errors).toEqual([]);
  });
});
