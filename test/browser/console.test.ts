// The key console in headless Chromium, against the gateway over real HTTP and the simulators with
// the demo's seed data. The tests run in order and share the data: each says what it changes.
import type { Dialog, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { listen, type Listening } from '../support/listen.js';
import { launchChromium, noChromium, requestsOutside, screenshot, type Browser } from './chromium.js';

// The demo's keys of Maria (the credential's user), newest first: created 2, 12, 41, 64, 133, 172 days ago.
const SEEDED = [
  'Octopus CLI on laptop',
  'ci-gpu-smoke-tests',
  'GitHub Actions: deploy web-storefront',
  'terraform',
  'training-cluster',
  'Terraform provider (platform-infra)',
];

describe.skipIf(noChromium)('key console in Chromium', () => {
  let t: TestGateway;
  let server: Listening;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let outside: string[] = [];

  beforeAll(async () => {
    t = await startTestGateway({ env: { LOG_LEVEL: 'silent' } });
    server = await listen(t.gateway);
    browser = await launchChromium();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    outside = requestsOutside(browser.context, 'http://127.0.0.1:');
    ({ page, errors } = await browser.newPage());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  const rows = () => page.locator('#keys tbody tr');
  const names = () => page.locator('#keys tbody th').allTextContents();
  const row = (name: string): Locator => rows().filter({ has: page.getByRole('rowheader', { name, exact: true }) });
  const summary = () => page.locator('#summary');
  const secretPanel = () => page.locator('#secret');
  const notices = () => page.locator('#notices p').allTextContents();
  const octopusUser = () => page.locator('#octopus-user');
  /** The provider filter's choices people can see. */
  const providerChoices = () =>
    page.locator('#provider option').evaluateAll((options) => (options as HTMLOptionElement[]).filter((o) => !o.hidden).map((o) => o.value));

  /** Opens the console and waits until the list has been drawn. */
  async function open(): Promise<void> {
    await page.goto(`${server.url}/`);
    await expect.poll(() => summary().textContent()).toMatch(/keys?, newest first|No keys/);
  }

  it('lists the keys of both providers in one table, newest first, with dates in the locale', async () => {
    await open();
    expect(await names()).toEqual(SEEDED);
    expect(await rows().locator('td:first-child').allTextContents()).toEqual([
      'Octopus Deploy',
      'Hyperstack',
      'Octopus Deploy',
      'Hyperstack',
      'Hyperstack',
      'Octopus Deploy',
    ]);
    await expect.poll(() => summary().textContent()).toBe('6 keys, newest first.');
    expect(await octopusUser().textContent()).toBe('Octopus keys of Maria Okafor (Users-1)');

    // Locale text on screen, the exact ISO value in title and datetime.
    const created = row('terraform').locator('td').nth(2).locator('time');
    const iso = await created.getAttribute('datetime');
    expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await created.getAttribute('title')).toBe(iso);
    expect(await created.textContent()).not.toContain('T');
    expect(await row('terraform').locator('td').nth(3).textContent()).toBe('Never');
    expect(await row('Terraform provider (platform-infra)').locator('.flag.soon').textContent()).toMatch(/^in \d+ days$/);
    expect(await row('Octopus CLI on laptop').locator('code').textContent()).toMatch(/^API-\w{4}…$/);
    expect(await row('terraform').locator('code').textContent()).toMatch(/^…\w{4}$/);

    const firstRowsMs = await page.evaluate(() => performance.getEntriesByName('keygate:first-rows')[0]?.startTime);
    console.log(`console: first rows on screen ${firstRowsMs?.toFixed(0)} ms after navigation started`);
    await screenshot(page, 'console-01-list');
  });

  it('narrows the list by search and by provider', async () => {
    await page.getByLabel('Search').fill('TERRAFORM');
    await expect.poll(names).toEqual(['terraform', 'Terraform provider (platform-infra)']);
    await page.getByLabel('Provider').selectOption('HYPERSTACK');
    await expect.poll(names).toEqual(['terraform']);
    await screenshot(page, 'console-02-filtered');
    await page.getByLabel('Search').fill('no such key');
    await expect.poll(() => summary().textContent()).toBe('No keys match the search or filter.');
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Provider').selectOption('');
    await expect.poll(names).toEqual(SEEDED);
  });

  it('creates an Octopus key and shows its secret once, with a copy button and a warning', async () => {
    await open();
    await page.getByLabel('Purpose').fill('Browser test key');
    // Expires at the end of the chosen day, in the reader's time zone.
    const expiresOn = await page.evaluate(() => new Date(Date.now() + 30 * 86_400_000).toLocaleDateString('en-CA'));
    await page.getByLabel('Expires on').fill(expiresOn);
    await page.getByRole('button', { name: 'Create Octopus key' }).click();

    await expect.poll(() => secretPanel().isVisible()).toBe(true);
    const secret = await page.locator('#secret-value').inputValue();
    expect(secret).toMatch(/^API-[A-Z0-9]{20,}$/);
    expect(await secretPanel().textContent()).toContain('it will not be shown again');
    expect(await secretPanel().textContent()).toContain('Octopus Deploy can show this secret later');
    // The new key tops the list, showing only its hint.
    await expect.poll(names).toEqual(['Browser test key', ...SEEDED]);
    expect(await row('Browser test key').locator('code').textContent()).toBe(`${secret.slice(0, 8)}…`);
    expect(await row('Browser test key').getAttribute('class')).toBe('new');
    const expiresAt = await row('Browser test key').locator('td').nth(3).locator('time').getAttribute('datetime');
    expect(await page.evaluate((iso) => new Date(iso!).toLocaleString('en-CA', { hour12: false }), expiresAt)).toBe(`${expiresOn}, 23:59:59`);
    expect(await page.locator('#keys').textContent()).not.toContain(secret);

    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.locator('[data-copy-status]').textContent()).toBe('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await screenshot(page, 'console-03-octopus-secret');

    // Never kept anywhere but on screen.
    const kept = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, location.href, document.cookie]));
    expect(kept).not.toContain(secret);

    // Reloading asks first (the secret would be lost), then shows only the hint.
    const dialogs: string[] = [];
    const accept = (dialog: Dialog) => {
      dialogs.push(dialog.type());
      void dialog.accept();
    };
    page.on('dialog', accept);
    await page.reload();
    page.off('dialog', accept);
    expect(dialogs).toEqual(['beforeunload']);
    await expect.poll(() => summary().textContent()).toBe('7 keys, newest first.');
    expect(await secretPanel().isHidden()).toBe(true);
    expect(await page.locator('#secret-value').inputValue()).toBe('');
    expect(await page.content()).not.toContain(secret);
    expect(await row('Browser test key').locator('code').textContent()).toBe(`${secret.slice(0, 8)}…`);
    await screenshot(page, 'console-04-after-reload');
  });

  it('generates a Hyperstack key, hides the secret on request, and says why a duplicate name fails', async () => {
    await open();
    const form = page.locator('#create-hyperstack');
    await form.getByLabel('Name').fill('browser-test');
    await form.getByLabel('Description').fill('Made by the browser test');
    await form.getByRole('button', { name: 'Generate Hyperstack key' }).click();

    await expect.poll(() => secretPanel().isVisible()).toBe(true);
    const secret = await page.locator('#secret-value').inputValue();
    expect(secret.length).toBeGreaterThan(8);
    expect(await secretPanel().textContent()).toContain('Hyperstack can show this secret later');
    await expect.poll(() => row('browser-test').count()).toBe(1);
    expect(await row('browser-test').locator('code').textContent()).toBe(`…${secret.slice(-4)}`);
    expect(await row('browser-test').locator('td').nth(1).textContent()).toBe('Made by the browser test');
    await screenshot(page, 'console-05-hyperstack-secret');

    await page.getByRole('button', { name: /I have stored it/ }).click();
    expect(await secretPanel().isHidden()).toBe(true);
    expect(await page.locator('#secret-value').inputValue()).toBe('');

    await form.getByLabel('Name').fill('browser-test');
    await form.getByRole('button', { name: 'Generate Hyperstack key' }).click();
    const error = form.locator('[data-error]');
    await expect.poll(() => error.textContent()).toBe("Hyperstack refused: An API key named 'browser-test' already exists");
    expect(await secretPanel().isHidden()).toBe(true);
    await screenshot(page, 'console-06-duplicate-name');
  });

  it('renames a Hyperstack key in a dialog (Escape cancels)', async () => {
    await open();
    const dialog = page.locator('#rename-dialog');
    await page.getByRole('button', { name: 'Rename terraform', exact: true }).click();
    expect(await dialog.isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);

    await page.getByRole('button', { name: 'Rename terraform', exact: true }).click();
    expect(await dialog.getByLabel('Name').inputValue()).toBe('terraform');
    await dialog.getByLabel('Name').fill('terraform-ci');
    await screenshot(page, 'console-07-rename', { fullPage: false });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await expect.poll(() => row('terraform-ci').count()).toBe(1);
    expect(await row('terraform').count()).toBe(0);
    // The focus is back on the renamed key's button, for keyboard users.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Rename terraform-ci');
  });

  it('revokes a key only after confirming in a dialog', async () => {
    await open();
    const name = 'GitHub Actions: deploy web-storefront';
    const dialog = page.locator('#revoke-dialog');
    await page.getByRole('button', { name: `Revoke ${name}`, exact: true }).click();
    expect(await dialog.textContent()).toContain(`${name} at Octopus Deploy stops working`);
    // The focus starts on Cancel, so Enter alone does not revoke.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await row(name).count()).toBe(1);

    await page.getByRole('button', { name: `Revoke ${name}`, exact: true }).click();
    await screenshot(page, 'console-08-revoke-confirm', { fullPage: false });
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => row(name).count()).toBe(0);
    expect(await summary().textContent()).toMatch(/^Revoked “GitHub Actions: deploy web-storefront” at Octopus Deploy\./);
  });

  it('shows names and descriptions as text, never as markup', async () => {
    const name = '<img src=x onerror=alert(1)>';
    const csrf = { 'x-graphql-yoga-csrf': 'test' };
    const made = await t.query<{ generateHyperstackApiKey: { apiKey: { id: string } } }>(
      'mutation($input: GenerateHyperstackApiKeyInput!) { generateHyperstackApiKey(input: $input) { apiKey { id } } }',
      { input: { name, description: '<b>bold</b>' } },
      csrf,
    );
    expect(made.body.errors).toBeUndefined();
    await open();
    expect(await row(name).count()).toBe(1);
    expect(await row(name).locator('img, b').count()).toBe(0);
    expect(await row(name).locator('td').nth(1).textContent()).toBe('<b>bold</b>');
    // Back to the list the next test expects.
    const id = made.body.data!.generateHyperstackApiKey.apiKey.id;
    expect((await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id }, csrf)).body.errors).toBeUndefined();
  });

  it('shows a provider outage in words and keeps the other provider\'s keys', async () => {
    t.hyperstack.fault('GET /v1/api-key', { mode: 'error' });
    try {
      await open();
      const notice = page.locator('#notices');
      expect(await notice.textContent()).toBe('Hyperstack is unavailable: Hyperstack failed with HTTP 500.'); // 5xx bodies are never shown
      expect(await rows().count()).toBeGreaterThan(0);
      expect(new Set(await rows().evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.provider)))).toEqual(new Set(['OCTOPUS']));
      expect(await names()).toEqual(['Browser test key', 'Octopus CLI on laptop', 'Terraform provider (platform-infra)']);
      await screenshot(page, 'console-09-hyperstack-outage');
    } finally {
      t.hyperstack.clearFaults();
    }
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => row('terraform-ci').count()).toBe(1);
    expect(await page.locator('#notices').textContent()).toBe('');
  });

  it('asks for an access token when keygate requires one, and keeps it only in memory', async () => {
    const token = 'console-test-token-0123456789abcdef';
    const guarded = await startTestGateway({ env: { LOG_LEVEL: 'silent', GATEWAY_TOKENS: `console:${token}` } });
    const guardedServer = await listen(guarded.gateway);
    try {
      await page.goto(`${guardedServer.url}/`);
      const notice = page.locator('#notices');
      await expect.poll(() => notice.textContent()).toBe('keygate asks for an access token: enter it under “Access token”.');
      await screenshot(page, 'console-10-access-token');
      const field = page.getByLabel('Access token');
      await page.waitForFunction(() => document.activeElement?.id === 'access-token');
      await field.fill('wrong-token-wrong-token-wrong');
      await page.getByRole('button', { name: 'Use token' }).click();
      await expect.poll(() => notice.textContent()).toBe('keygate did not accept the access token. Check it and enter it again.');
      await field.fill(token);
      await page.getByRole('button', { name: 'Use token' }).click();
      await expect.poll(() => summary().textContent()).toMatch(/keys, newest first/);
      expect(await page.locator('#token-form').isHidden()).toBe(true);
      expect(await notice.textContent()).toBe('');
      const kept = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, location.href, document.cookie]));
      expect(kept).not.toContain(token);
    } finally {
      await guardedServer.close();
      await guarded.close();
    }
    // Chromium logs every 401 response; those two were the point of this test.
    const expected = errors.filter((e) => e.includes('status of 401'));
    expect(expected).toHaveLength(2);
    errors.splice(0, errors.length, ...errors.filter((e) => !expected.includes(e)));
  });

  it('switches off the form of a provider without a credential, says why, and names whose Octopus keys are listed', async () => {
    const partial = await startTestGateway({ env: { LOG_LEVEL: 'silent' }, credentials: { hyperstack: false } });
    const partialServer = await listen(partial.gateway);
    try {
      // The Octopus user lookup fails: the list and viewer.octopusUser both report it, the page says it once.
      partial.octopus.fault('GET /api/users/me', { mode: 'error' });
      await page.goto(`${partialServer.url}/`);
      await expect.poll(notices).toEqual([
        'Octopus Deploy is unavailable: Octopus Deploy failed with HTTP 500.',
        'Hyperstack keys are not shown: keygate has no Hyperstack credential.',
      ]);
      expect(await octopusUser().isHidden()).toBe(true);
      partial.octopus.clearFaults();
      await page.getByRole('button', { name: 'Refresh' }).click();
      await expect.poll(() => summary().textContent()).toBe('3 keys, newest first.');
      expect(await notices()).toEqual(['Hyperstack keys are not shown: keygate has no Hyperstack credential.']);
      expect(await octopusUser().textContent()).toBe('Octopus keys of Maria Okafor (Users-1)');
      expect(await page.locator('#keys').getAttribute('aria-describedby')).toContain('octopus-user');

      // Hyperstack's form stays in sight, really disabled, its controls described by the reason.
      const hyperstack = page.locator('#create-hyperstack');
      const hint = hyperstack.locator('#hyperstack-unavailable');
      expect(await hint.isVisible()).toBe(true);
      expect(await hint.textContent()).toBe('No Hyperstack credential: set HYPERSTACK_API_KEY on the gateway.');
      const controls = [hyperstack.getByLabel('Name'), hyperstack.getByLabel('Description'), hyperstack.getByRole('button', { name: 'Generate Hyperstack key' })];
      for (const control of controls) {
        expect(await control.evaluate((node) => (node as HTMLInputElement | HTMLButtonElement).disabled)).toBe(true);
        expect(await control.getAttribute('aria-describedby')).toBe('hyperstack-unavailable');
      }
      // Its keys can still be asked for (the notice says why there are none).
      expect(await providerChoices()).toEqual(['', 'OCTOPUS', 'HYPERSTACK']);
      expect(await page.locator('#octopus-unavailable').isHidden()).toBe(true);
      await screenshot(page, 'console-11-no-hyperstack-credential');

      // The Octopus form works as ever, and the Hyperstack one stays off afterwards.
      await page.getByLabel('Purpose').fill('Made without Hyperstack');
      await page.getByRole('button', { name: 'Create Octopus key' }).click();
      await expect.poll(() => secretPanel().isVisible()).toBe(true);
      expect(await page.locator('#secret-value').inputValue()).toMatch(/^API-[A-Z0-9]{20,}$/);
      await expect.poll(names).toEqual(['Made without Hyperstack', 'Octopus CLI on laptop', 'GitHub Actions: deploy web-storefront', 'Terraform provider (platform-infra)']);
      await page.getByRole('button', { name: /I have stored it/ }).click();
      expect(await page.getByLabel('Purpose').isEnabled()).toBe(true);
      expect(await page.getByLabel('Purpose').getAttribute('aria-describedby')).toBeNull();
      for (const control of controls) expect(await control.isDisabled()).toBe(true);
    } finally {
      await partialServer.close();
      await partial.close();
    }
  });

  it('leaves out a provider the gateway does not serve: no form, no filter choice, no Octopus user', async () => {
    const hyperstackOnly = await startTestGateway({ env: { LOG_LEVEL: 'silent' }, noOctopus: true });
    const hyperstackOnlyServer = await listen(hyperstackOnly.gateway);
    try {
      await page.goto(`${hyperstackOnlyServer.url}/`);
      await expect.poll(() => summary().textContent()).toBe('3 keys, newest first.');
      expect(await names()).toEqual(['ci-gpu-smoke-tests', 'terraform', 'training-cluster']);
      expect(await notices()).toEqual([]);
      expect(await page.locator('#create-octopus').isHidden()).toBe(true);
      expect(await page.getByRole('button', { name: 'Create Octopus key' }).count()).toBe(0);
      expect(await providerChoices()).toEqual(['', 'HYPERSTACK']);
      expect(await octopusUser().isHidden()).toBe(true);
      expect(await octopusUser().textContent()).toBe('');
      const hyperstack = page.locator('#create-hyperstack');
      expect(await hyperstack.getByLabel('Name').isEnabled()).toBe(true);
      expect(await hyperstack.getByRole('button', { name: 'Generate Hyperstack key' }).isEnabled()).toBe(true);
      expect(await page.locator('#hyperstack-unavailable').isHidden()).toBe(true);
      await screenshot(page, 'console-12-no-octopus');
    } finally {
      await hyperstackOnlyServer.close();
      await hyperstackOnly.close();
    }
  });

  it('ran with no script error and no request outside the gateway', () => {
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
  });
});
