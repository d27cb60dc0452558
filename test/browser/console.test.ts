// The key console in headless Chromium, against the gateway over real HTTP and the simulators with
// the demo's seed data, once per device (a desktop, a touch phone). Within a device the tests run in
// order and share the data: each says what it changes.
import type { Dialog, Locator, Page, Request } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import type { Listening } from '../support/listen.js';
import { axeViolations } from './axe.js';
import { DESKTOP, PHONE, noChromium, requestsOutside, screenshot, type Device } from './chromium.js';
import { holdOperation, inView, listsForgetGatewayKeys, loseAnswersTo, operationOf, overflowing as overflowingOf, watchListRequests } from './console-page.js';
import { serve, useBrowserSession } from './session.js';

// The demo's keys of Maria (the credential's user), newest first: created 2, 12, 41, 64, 133, 172 days ago.
const SEEDED = [
  'Octopus CLI on laptop',
  'ci-gpu-smoke-tests',
  'GitHub Actions: deploy web-storefront',
  'terraform',
  'training-cluster',
  'Terraform provider (platform-infra)',
];

const DEVICES: Device[] = [DESKTOP, PHONE];

describe.skipIf(noChromium).each(DEVICES)('key console in Chromium on a $name', (device) => {
  let t: TestGateway;
  let server: Listening;
  let page: Page;
  let errors: string[];
  let outside: string[] = [];

  useBrowserSession(() => ({ env: { LOG_LEVEL: 'silent' } }), device, async (session) => {
    ({ t, server, page, errors } = session);
    await session.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    outside = requestsOutside(session.browser.context, 'http://127.0.0.1:');
  });

  /** A tap on a touch screen, a click elsewhere. */
  const press = (locator: Locator) => (device.hasTouch ? locator.tap() : locator.click());
  /**
   * A state worth keeping: saves test-artifacts/browser/console-<device>-<name>.png and checks it with
   * axe in the light and the dark colour scheme.
   */
  async function state(name: string, options?: { fullPage?: boolean }): Promise<void> {
    await screenshot(page, `console-${device.name}-${name}`, options);
    expect(await axeViolations(page), `axe on ${name}`).toEqual([]);
  }
  const rows = () => page.locator('#keys tbody tr[data-id]');
  const names = () => page.locator('#keys tbody th').allTextContents();
  const row = (name: string): Locator => rows().filter({ has: page.getByRole('rowheader', { name, exact: true }) });
  const summary = () => page.locator('#summary');
  /** Every secret on screen (each create adds one, until it is dismissed). */
  const secretPanel = () => page.locator('.secret');
  const secretValue = () => secretPanel().locator('input');
  const notices = () => page.locator('#notices p').allTextContents();
  const octopusUser = () => page.locator('#octopus-user');
  /** The provider filter's choices people can see. */
  const providerChoices = () =>
    page.locator('#provider option').evaluateAll((options) => (options as HTMLOptionElement[]).filter((o) => !o.hidden).map((o) => o.value));

  const overflowing = () => overflowingOf(page);
  const hold = (name: string) => holdOperation(page, server.url, name);

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
    // One account per provider: the provider says it all, so no account column, filter or choice in the forms.
    expect(await page.locator('#keys thead th', { hasText: 'Account' }).isHidden()).toBe(true);
    expect(await rows().locator('td[data-label="Account"]').count()).toBe(0);
    expect(await page.getByLabel('Account', { exact: true }).filter({ visible: true }).count()).toBe(0);
    expect(await page.locator('#keys thead th', { hasText: 'Owner' }).isHidden()).toBe(true);

    // Locale text on screen, the exact ISO value in title and datetime.
    const created = row('terraform').locator('td[data-label="Created"] time');
    const iso = await created.getAttribute('datetime');
    expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await created.getAttribute('title')).toBe(iso);
    expect(await created.textContent()).not.toContain('T');
    expect(await row('terraform').locator('td[data-label="Expires"]').textContent()).toBe('Never');
    expect(await row('Terraform provider (platform-infra)').locator('td[data-label="Risks"] li').allTextContents()).toEqual([
      'Expires in 8 days',
      'Older than 90 days',
      'Full access',
    ]);
    expect(await row('Octopus CLI on laptop').locator('code').textContent()).toMatch(/^API-\w{4}…$/);
    expect(await row('terraform').locator('code').textContent()).toMatch(/^…\w{4}$/);

    const firstRowsMs = await page.evaluate(() => performance.getEntriesByName('keygate:first-rows')[0]?.startTime);
    console.log(`console: first rows on screen ${firstRowsMs?.toFixed(0)} ms after navigation started`);
    await state('01-list');
  });

  it('fits the screen: nothing wider than the viewport, each key\'s actions in sight, dialogs on screen', async () => {
    await open();
    expect(await overflowing()).toEqual([]);
    // Below 700 px each key is a card, one above the other, with its actions at hand.
    const layout = await rows().first().evaluate((tr) => getComputedStyle(tr).display);
    expect(layout).toBe(device.viewport.width < 700 ? 'grid' : 'table-row');
    for (const name of SEEDED) {
      const revoke = row(name).getByRole('button', { name: `Revoke ${name}`, exact: true });
      await revoke.scrollIntoViewIfNeeded();
      expect(await inView(revoke)).toBe(true);
      // Big enough for a finger (WCAG 2.2 asks 24 px; phones get 44).
      expect((await revoke.boundingBox())!.height).toBeGreaterThanOrEqual(device.hasTouch ? 44 : 24);
    }
    // The name is still the row's header in Chromium's own accessibility tree (what a screen reader
    // gets), although the cards are no longer laid out as a table.
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { role?: { value: string }; name?: { value: string } }[] };
    await cdp.detach();
    expect(nodes.filter((n) => n.role?.value === 'rowheader').map((n) => n.name?.value)).toEqual(SEEDED);
    await state('01b-fits');
    if (!device.isMobile) {
      // Between the phone and the full table, the table scrolls in its own box; the page does not.
      await page.setViewportSize({ width: 820, height: device.viewport.height });
      expect(await page.evaluate(() => [document.documentElement.scrollWidth, document.querySelector('.table-scroll')!.scrollWidth > 820])).toEqual([820, true]);
      await page.setViewportSize(device.viewport);
    }

    for (const [action, name] of [['Rename', 'terraform'], ['Revoke', 'training-cluster']] as const) {
      await press(page.getByRole('button', { name: `${action} ${name}`, exact: true }));
      const dialog = page.locator('dialog[open]');
      expect(await inView(dialog)).toBe(true);
      expect(await overflowing()).toEqual([]);
      await state(`01c-${action.toLowerCase()}-dialog`, { fullPage: false });
      await press(dialog.getByRole('button', { name: 'Cancel' }));
      await expect.poll(() => dialog.count()).toBe(0);
    }
  });

  it('narrows the list by search and by provider', async () => {
    await page.getByLabel('Search').fill('TERRAFORM');
    await expect.poll(names).toEqual(['terraform', 'Terraform provider (platform-infra)']);
    await page.getByRole('combobox', { name: 'Provider' }).selectOption('HYPERSTACK');
    await expect.poll(names).toEqual(['terraform']);
    await state('02-filtered');
    await page.getByLabel('Search').fill('no such key');
    await expect.poll(() => summary().textContent()).toBe('No keys match the search or filter.');
    await page.getByLabel('Search').fill('');
    await page.getByRole('combobox', { name: 'Provider' }).selectOption('');
    await expect.poll(names).toEqual(SEEDED);
  });

  it('shows the whole search placeholder', async () => {
    await open();
    // Measured as Chromium lays it out: the placeholder's words as a value (the search field's clear
    // button then takes its room too, as it does while someone types).
    const overflow = await page.getByLabel('Search').evaluate((input: HTMLInputElement) => {
      input.value = input.placeholder;
      const over = input.scrollWidth - input.clientWidth;
      input.value = '';
      return over;
    });
    expect(overflow).toBe(0);
  });

  it('lets the keyboard skip the create forms: a skip link first, to the keys', async () => {
    await open();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to the keys' });
    expect(await skip.evaluate((link) => link === document.activeElement)).toBe(true);
    expect(await inView(skip)).toBe(true);
    await state('02b-skip-link', { fullPage: false });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'keys-heading');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('search');
  });

  it('creates an Octopus key and shows its secret once, with a copy button and a warning', async () => {
    await open();
    await page.getByLabel('Purpose').fill('Browser test key');
    // Expires at the end of the chosen day, in the reader's time zone.
    const expiresOn = await page.evaluate(() => new Date(Date.now() + 30 * 86_400_000).toLocaleDateString('en-CA'));
    await page.getByLabel('Expires on').fill(expiresOn);
    const request = await hold('ConsoleCreateOctopusKey');
    await press(page.getByRole('button', { name: 'Create Octopus key' }));
    // While it runs, the button says so (not only dimmed), and the form is busy.
    await request.arrived;
    const form = page.locator('#create-octopus');
    expect(await form.locator('button[type="submit"]').textContent()).toBe('Creating…');
    expect(await form.getAttribute('aria-busy')).toBe('true');
    await state('03a-creating');
    await request.release();
    await expect.poll(() => form.getAttribute('aria-busy')).toBeNull();
    expect(await form.locator('button[type="submit"]').textContent()).toBe('Create Octopus key');

    await expect.poll(() => secretPanel().isVisible()).toBe(true);
    const secret = await secretValue().inputValue();
    expect(secret).toMatch(/^API-[A-Z0-9]{20,}$/);
    expect(await secretPanel().textContent()).toContain('it will not be shown again');
    expect(await secretPanel().textContent()).toContain('Octopus Deploy can show this secret later');
    // The new key tops the list, showing only its hint.
    await expect.poll(names).toEqual(['Browser test key', ...SEEDED]);
    expect(await row('Browser test key').locator('code').textContent()).toBe(`${secret.slice(0, 8)}…`);
    expect(await row('Browser test key').getAttribute('class')).toBe('new');
    const expiresAt = await row('Browser test key').locator('td[data-label="Expires"] time').getAttribute('datetime');
    expect(await page.evaluate((iso) => new Date(iso!).toLocaleString('en-CA', { hour12: false }), expiresAt)).toBe(`${expiresOn}, 23:59:59`);
    expect(await page.locator('#keys').textContent()).not.toContain(secret);

    await press(page.getByRole('button', { name: /^Copy/ }));
    await expect.poll(() => page.locator('[data-copy-status]').textContent()).toBe('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await state('03-octopus-secret');

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
    expect(await secretPanel().count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    expect(await row('Browser test key').locator('code').textContent()).toBe(`${secret.slice(0, 8)}…`);
    await state('04-after-reload');
  });

  it('generates a Hyperstack key, hides the secret on request, and says why a duplicate name fails', async () => {
    await open();
    const form = page.locator('#create-hyperstack');
    await form.getByLabel('Name').fill('browser-test');
    await form.getByLabel('Description').fill('Made by the browser test');
    await press(form.getByRole('button', { name: 'Generate Hyperstack key' }));

    await expect.poll(() => secretPanel().isVisible()).toBe(true);
    const secret = await secretValue().inputValue();
    expect(secret.length).toBeGreaterThan(8);
    expect(await secretPanel().textContent()).toContain('Hyperstack can show this secret later');
    await expect.poll(() => row('browser-test').count()).toBe(1);
    expect(await row('browser-test').locator('code').textContent()).toBe(`…${secret.slice(-4)}`);
    expect(await row('browser-test').locator('td.description').textContent()).toBe('Made by the browser test');
    await state('05-hyperstack-secret');

    await press(page.getByRole('button', { name: /I have stored it/ }));
    expect(await secretPanel().isHidden()).toBe(true);
    expect(await secretPanel().count()).toBe(0);

    await form.getByLabel('Name').fill('browser-test');
    await press(form.getByRole('button', { name: 'Generate Hyperstack key' }));
    const error = form.locator('[data-error]');
    await expect.poll(() => error.textContent()).toBe("Hyperstack refused: An API key named 'browser-test' already exists");
    expect(await secretPanel().isHidden()).toBe(true);
    await state('06-duplicate-name');

    // The error is about that attempt: editing the form, or a later action elsewhere, clears it.
    await form.getByLabel('Name').fill('browser-test-2');
    expect(await error.textContent()).toBe('');
    await form.getByLabel('Name').fill('browser-test');
    await press(form.getByRole('button', { name: 'Generate Hyperstack key' }));
    await expect.poll(() => error.textContent()).toMatch(/already exists/);
    await press(page.getByRole('button', { name: 'Create Octopus key' })); // with no purpose: its own error
    await expect.poll(() => page.locator('#create-octopus [data-error]').textContent()).toBe('Please enter what the key is for.');
    expect(await error.textContent()).toBe('');
    await page.getByLabel('Purpose').fill('');
  });

  it('keeps each secret until it is dismissed: a second create does not replace a first secret', async () => {
    await open();
    await page.getByLabel('Purpose').fill('First, not yet copied');
    await press(page.getByRole('button', { name: 'Create Octopus key' }));
    await expect.poll(() => secretPanel().count()).toBe(1);
    const form = page.locator('#create-hyperstack');
    await form.getByLabel('Name').fill('second-secret');
    await press(form.getByRole('button', { name: 'Generate Hyperstack key' }));
    await expect.poll(() => secretPanel().count()).toBe(2);

    const octopus = page.getByRole('region', { name: 'Secret of First, not yet copied' });
    const hyperstack = page.getByRole('region', { name: 'Secret of second-secret' });
    const octopusSecret = await octopus.locator('input').inputValue();
    const hyperstackSecret = await hyperstack.locator('input').inputValue();
    expect(octopusSecret).toMatch(/^API-[A-Z0-9]{20,}$/);
    expect(hyperstackSecret).not.toBe(octopusSecret);
    // The newest on top, with the focus on its Copy button.
    expect(await secretPanel().first().getAttribute('aria-labelledby')).toBe(await hyperstack.getAttribute('aria-labelledby'));
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Copy the secret of second-secret');
    await state('06b-two-secrets');

    // Each Copy copies its own secret.
    await press(octopus.getByRole('button', { name: /^Copy/ }));
    await expect.poll(() => octopus.locator('[data-copy-status]').textContent()).toBe('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(octopusSecret);
    expect(await hyperstack.locator('[data-copy-status]').textContent()).toBe('');

    // Dismissing one keeps the other, and leaving the page still asks while one is left.
    await press(hyperstack.getByRole('button', { name: /I have stored it/ }));
    expect(await secretPanel().count()).toBe(1);
    expect(await octopus.locator('input').inputValue()).toBe(octopusSecret);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Copy the secret of First, not yet copied');
    await press(octopus.getByRole('button', { name: /I have stored it/ }));
    expect(await secretPanel().count()).toBe(0);

    // Back to the list the next test expects.
    const csrf = { 'x-graphql-yoga-csrf': 'test' };
    for (const name of ['First, not yet copied', 'second-secret']) {
      const id = await row(name).getAttribute('data-id');
      expect((await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id }, csrf)).body.errors).toBeUndefined();
    }
  });

  it('says where to look when the provider may have made a key whose secret never arrived', async () => {
    await open();
    const form = page.locator('#create-hyperstack');
    await form.getByLabel('Name').fill('lost-in-transit');
    // The connection breaks after the request left keygate: the outcome is unknown.
    t.hyperstack.fault('POST /v1/api-key/generate', { mode: 'drop' }, { times: 1 });
    const requests = watchListRequests(page);
    await press(form.getByRole('button', { name: 'Generate Hyperstack key' }));
    await expect.poll(() => form.locator('[data-error]').textContent()).toBe(
      'Hyperstack did not confirm “lost-in-transit” but may have created it: its secret did not reach keygate. If a key “lost-in-transit” is highlighted in the list below, it is the one this create made: revoke it (nobody has its secret), then create the key again.',
    );
    // The list is read again, so the key is there to find if it was made; the form keeps what was typed.
    await expect.poll(() => requests.length).toBe(1);
    await expect.poll(() => page.locator('#keys').getAttribute('aria-busy')).toBeNull();
    expect(await secretPanel().count()).toBe(0);
    expect(await form.getByLabel('Name').inputValue()).toBe('lost-in-transit');
    await state('06c-may-have-created');
    await form.getByLabel('Name').fill('');
  });

  it.each([
    { how: 'reset' as const, name: 'answer-lost', logged: 'ERR_CONNECTION_RESET' },
    // A JSON body that is no GraphQL result once read as "no errors, no data": the form said nothing.
    { how: 'proxy' as const, name: 'answer-replaced', logged: 'status of 504' },
  ])('says the outcome is unknown when the answer to a create is lost on its way to the page ($how)', async ({ how, name, logged }) => {
    await open();
    const form = page.locator('#create-hyperstack');
    await form.getByLabel('Name').fill(name);
    // The create reaches keygate, which makes the key; its answer never reaches the page.
    await loseAnswersTo(page, server.url, 'ConsoleGenerateHyperstackKey', how);
    await press(form.getByRole('button', { name: 'Generate Hyperstack key' }));
    await expect.poll(() => form.locator('[data-error]').textContent()).toBe(
      `keygate’s answer did not reach this page. Whether “${name}” was created is unknown. If a key “${name}” is highlighted in the list below, it is the one this create made: revoke it (its secret never reached you), then create the key again.`,
    );
    // The list is read again: the key is there, marked, without its secret anywhere on the page.
    await expect.poll(() => row(name).count()).toBe(1);
    expect(await row(name).getAttribute('class')).toContain('new');
    expect(await secretPanel().count()).toBe(0);
    await press(row(name).getByRole('button', { name: `Revoke ${name}`, exact: true }));
    await press(page.locator('#revoke-dialog').getByRole('button', { name: 'Revoke key' }));
    await expect.poll(() => row(name).count()).toBe(0);
    await form.getByLabel('Name').fill('');
    // Chromium logs the lost answer; it was the point of this test.
    errors.splice(0, errors.length, ...errors.filter((e) => !e.includes(logged)));
  });

  it('marks only the new key when an Octopus create whose answer was lost shares its purpose with an older key', async () => {
    await open();
    const purpose = SEEDED[0]!; // Octopus purposes need not be unique
    const older = await row(purpose).getAttribute('data-id');
    const form = page.locator('#create-octopus');
    await form.getByLabel('Purpose').fill(purpose);
    await loseAnswersTo(page, server.url, 'ConsoleCreateOctopusKey');
    await press(form.getByRole('button', { name: 'Create Octopus key' }));
    await expect.poll(() => form.locator('[data-error]').textContent()).toContain(`If a key “${purpose}” is highlighted in the list below, it is the one this create made`);
    await expect.poll(() => row(purpose).count()).toBe(2);
    const marked = page.locator('#keys tbody tr.new');
    expect(await marked.count()).toBe(1);
    const made = await marked.getAttribute('data-id');
    expect(made).not.toBe(older);
    expect(await marked.locator('th').textContent()).toBe(purpose);
    // Tried again, lost again: only the second attempt's key is marked, not the first's.
    await press(form.getByRole('button', { name: 'Create Octopus key' }));
    await expect.poll(() => row(purpose).count()).toBe(3);
    expect(await marked.count()).toBe(1);
    const second = await marked.getAttribute('data-id');
    expect([older, made]).not.toContain(second);
    // Back to the list the next test expects.
    const csrf = { 'x-graphql-yoga-csrf': 'test' };
    for (const id of [made, second]) {
      expect((await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id }, csrf)).body.errors).toBeUndefined();
    }
    await form.getByLabel('Purpose').fill('');
    errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('ERR_CONNECTION_RESET')));
  });

  it('marks no older key of the name that was off screen only because its account could not be listed', async () => {
    t.octopus.fault('GET /api/users/{userId}/apikeys', { mode: 'error' });
    onTestFinished(() => t.octopus.clearFaults());
    await page.goto(`${server.url}/`);
    await expect.poll(() => notices()).not.toEqual([]);
    const purpose = SEEDED[0]!;
    expect(await row(purpose).count()).toBe(0);
    t.octopus.clearFaults();
    const form = page.locator('#create-octopus');
    await form.getByLabel('Purpose').fill(purpose);
    await loseAnswersTo(page, server.url, 'ConsoleCreateOctopusKey');
    await press(form.getByRole('button', { name: 'Create Octopus key' }));
    await expect.poll(() => row(purpose).count()).toBe(2);
    const marked = page.locator('#keys tbody tr.new');
    expect(await marked.count()).toBe(1);
    const made = await marked.getAttribute('data-id');
    expect(await row(purpose).first().getAttribute('data-id')).toBe(made); // newest first: the seeded key is below
    const csrf = { 'x-graphql-yoga-csrf': 'test' };
    expect((await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id: made }, csrf)).body.errors).toBeUndefined();
    await form.getByLabel('Purpose').fill('');
    errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('ERR_CONNECTION_RESET')));
  });

  it('asks before the page is left while a create is waiting for its answer', async () => {
    await open();
    const form = page.locator('#create-hyperstack');
    await form.getByLabel('Name').fill('while-leaving');
    const held = await hold('ConsoleGenerateHyperstackKey');
    const leaving = () =>
      page.evaluate(() => {
        const event = new Event('beforeunload', { cancelable: true });
        window.dispatchEvent(event);
        return event.defaultPrevented;
      });
    expect(await leaving()).toBe(false);
    await press(form.getByRole('button', { name: 'Generate Hyperstack key' }));
    await held.arrived;
    expect(await leaving()).toBe(true);
    await held.release();
    // The secret is on screen now: still asks; once it is dismissed, no longer.
    await expect.poll(() => secretPanel().count()).toBe(1);
    expect(await leaving()).toBe(true);
    await press(secretPanel().getByRole('button', { name: /I have stored it/ }));
    expect(await leaving()).toBe(false);
    const csrf = { 'x-graphql-yoga-csrf': 'test' };
    const id = await row('while-leaving').getAttribute('data-id');
    expect((await t.query('mutation($id: ID!) { deleteApiKey(input: { id: $id }) { deletedId } }', { id }, csrf)).body.errors).toBeUndefined();
  });

  it('renames a Hyperstack key in a dialog (Escape cancels)', async () => {
    await open();
    const dialog = page.locator('#rename-dialog');
    await press(page.getByRole('button', { name: 'Rename terraform', exact: true }));
    expect(await dialog.isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);

    await press(page.getByRole('button', { name: 'Rename terraform', exact: true }));
    expect(await dialog.getByLabel('Name').inputValue()).toBe('terraform');
    await dialog.getByLabel('Name').fill('terraform-ci');
    await state('07-rename', { fullPage: false });
    await press(dialog.getByRole('button', { name: 'Save' }));
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
    await press(page.getByRole('button', { name: `Revoke ${name}`, exact: true }));
    expect(await dialog.textContent()).toContain(`${name} at Octopus Deploy stops working`);
    // Octopus purposes are not unique: the dialog also shows what tells two keys apart.
    const facts = await dialog.locator('dl > div:visible').evaluateAll((groups) =>
      groups.map((group) => [group.querySelector('dt')!.textContent, group.querySelector('dd')!.textContent]),
    );
    expect(facts).toEqual([
      ['Provider', 'Octopus Deploy'],
      ['Account', `default (${new URL(t.octopus.url).host})`],
      ['Hint', await row(name).locator('code').textContent()],
      ['Created', expect.stringMatching(/\d\d:\d\d/)], // with the time: purposes are not unique, their minutes may be
    ]);
    expect(await dialog.locator('[data-fact="created"] time').getAttribute('datetime')).toBe(
      await row(name).locator('td[data-label="Created"] time').getAttribute('datetime'),
    );
    // Not keygate's own key: no second confirmation.
    expect(await dialog.locator('[data-gateway]').isHidden()).toBe(true);
    // The focus starts on Cancel, so Enter alone does not revoke.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await press(dialog.getByRole('button', { name: 'Cancel' }));
    expect(await row(name).count()).toBe(1);

    await press(page.getByRole('button', { name: `Revoke ${name}`, exact: true }));
    await state('08-revoke-confirm', { fullPage: false });
    // The line above the table counts the key's risks; a revoke takes it out of the counts, in place.
    const fullAccess = async () => Number(/(\d+) (?:keys? )?ha(?:s|ve) full access/.exec((await page.locator('#risk-summary').textContent())!)?.[1]);
    const before = await fullAccess();
    expect(await row(name).locator('[data-risk="FULL_ACCESS"]').count()).toBe(1);
    const request = await hold('ConsoleDeleteKey');
    await press(dialog.getByRole('button', { name: 'Revoke key' }));
    await request.arrived;
    expect(await dialog.locator('button[type="submit"]').textContent()).toBe('Revoking…');
    expect(await dialog.locator('form').getAttribute('aria-busy')).toBe('true');
    await request.release();
    await expect.poll(() => row(name).count()).toBe(0);
    expect(await page.locator('#keys tr.gone').textContent()).toBe('Revoked “GitHub Actions: deploy web-storefront” at Octopus Deploy.');
    expect(await summary().textContent()).toBe('7 keys, newest first.');
    expect(await fullAccess()).toBe(before - 1);
  });

  it('shows names and descriptions as text, never as markup', async () => {
    const name = '<img src=x onerror=alert(1)>';
    const csrf = { 'x-graphql-yoga-csrf': 'test' };
    const made = await t.query<{ generateHyperstackApiKey: { apiKey: { id: string } } }>(
      'mutation($input: GenerateHyperstackApiKeyInput!) { generateHyperstackApiKey(input: $input) { secret apiKey { id } } }',
      { input: { name, description: '<b>bold</b>' } },
      csrf,
    );
    expect(made.body.errors).toBeUndefined();
    await open();
    expect(await row(name).count()).toBe(1);
    expect(await row(name).locator('img, b').count()).toBe(0);
    expect(await row(name).locator('td.description').textContent()).toBe('<b>bold</b>');
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
      await state('09-hyperstack-outage');
      // Filtered to the provider that is down, the list says why it is empty, not that nothing matches.
      await page.getByRole('combobox', { name: 'Provider' }).selectOption('HYPERSTACK');
      await expect.poll(() => rows().count()).toBe(0);
      await expect.poll(() => summary().textContent()).toBe('No keys shown: Hyperstack is unavailable.');
      await state('09b-hyperstack-outage-filtered');
      await page.getByRole('combobox', { name: 'Provider' }).selectOption('');
    } finally {
      t.hyperstack.clearFaults();
    }
    await press(page.getByRole('button', { name: 'Refresh' }));
    await expect.poll(() => row('terraform-ci').count()).toBe(1);
    expect(await page.locator('#notices').textContent()).toBe('');
  });

  it('asks for an access token when keygate requires one, and keeps it only in memory', async () => {
    const token = 'console-test-token-0123456789abcdef';
    // A block: the guarded gateway closes at its end, before the errors it caused are checked.
    {
      await using served = await serve({ env: { LOG_LEVEL: 'silent', GATEWAY_TOKENS: `console:${token}` } });
      const { server: guardedServer } = served;
      await page.goto(`${guardedServer.url}/`);
      const notice = page.locator('#notices');
      await expect.poll(() => notice.textContent()).toBe('keygate asks for an access token: enter it under “Access token”.');
      // Nothing can be created before a token is entered: the forms say so instead of failing.
      for (const button of ['Create Octopus key', 'Generate Hyperstack key']) expect(await page.getByRole('button', { name: button }).isDisabled()).toBe(true);
      expect(await page.getByLabel('Purpose').isDisabled()).toBe(true);
      expect(await page.locator('#octopus-unavailable').textContent()).toBe('Enter the access token under “Access token” first.');
      await state('10-access-token');
      const field = page.getByLabel('Access token');
      await page.waitForFunction(() => document.activeElement?.id === 'access-token');
      await field.fill('wrong-token-wrong-token-wrong');
      await press(page.getByRole('button', { name: 'Use token' }));
      await expect.poll(() => notice.textContent()).toBe('keygate did not accept the access token. Check it and enter it again.');
      await field.fill(token);
      await press(page.getByRole('button', { name: 'Use token' }));
      await expect.poll(() => summary().textContent()).toMatch(/keys, newest first/);
      expect(await page.locator('#token-form').isHidden()).toBe(true);
      for (const button of ['Create Octopus key', 'Generate Hyperstack key']) expect(await page.getByRole('button', { name: button }).isEnabled()).toBe(true);
      expect(await page.locator('#octopus-unavailable').isHidden()).toBe(true);
      expect(await notice.textContent()).toBe('');
      const kept = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, location.href, document.cookie]));
      expect(kept).not.toContain(token);
    }
    // Chromium logs every 401 response; those two were the point of this test.
    const expected = errors.filter((e) => e.includes('status of 401'));
    expect(expected).toHaveLength(2);
    errors.splice(0, errors.length, ...errors.filter((e) => !expected.includes(e)));
  });

  it('switches off the form of a provider without a credential, says why, and names whose Octopus keys are listed', async () => {
    await using served = await serve({ env: { LOG_LEVEL: 'silent' }, credentials: { hyperstack: false } });
    const { t: partial, server: partialServer } = served;
    // The Octopus user lookup fails: the list and viewer.octopusUser both report it, the page says it once.
    partial.octopus.fault('GET /api/users/me', { mode: 'error' });
    await page.goto(`${partialServer.url}/`);
    await expect.poll(notices).toEqual([
      'Octopus Deploy is unavailable: Octopus Deploy failed with HTTP 500.',
      'Hyperstack keys are not shown: keygate has no Hyperstack credential.',
    ]);
    expect(await octopusUser().isHidden()).toBe(true);
    partial.octopus.clearFaults();
    await press(page.getByRole('button', { name: 'Refresh' }));
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
    // Its keys cannot be listed, so the filter does not offer them.
    expect(await providerChoices()).toEqual(['', 'OCTOPUS']);
    expect(await page.locator('#octopus-unavailable').isHidden()).toBe(true);
    await state('11-no-hyperstack-credential');

    // The Octopus form works as ever, and the Hyperstack one stays off afterwards.
    await page.getByLabel('Purpose').fill('Made without Hyperstack');
    await press(page.getByRole('button', { name: 'Create Octopus key' }));
    await expect.poll(() => secretPanel().isVisible()).toBe(true);
    expect(await secretValue().inputValue()).toMatch(/^API-[A-Z0-9]{20,}$/);
    await expect.poll(names).toEqual(['Made without Hyperstack', 'Octopus CLI on laptop', 'GitHub Actions: deploy web-storefront', 'Terraform provider (platform-infra)']);
    await press(page.getByRole('button', { name: /I have stored it/ }));
    expect(await page.getByLabel('Purpose').isEnabled()).toBe(true);
    expect(await page.getByLabel('Purpose').getAttribute('aria-describedby')).toBeNull();
    for (const control of controls) expect(await control.isDisabled()).toBe(true);
  });

  it('leaves out a provider the gateway does not serve: no form, no filter choice, no Octopus user', async () => {
    await using served = await serve({ env: { LOG_LEVEL: 'silent' }, noOctopus: true });
    const { server: hyperstackOnlyServer } = served;
    await page.goto(`${hyperstackOnlyServer.url}/`);
    await expect.poll(() => summary().textContent()).toBe('3 keys, newest first.');
    expect(await page.locator('#keys-view .lede').textContent()).toBe('Every key you hold at Hyperstack, in one list. Create, rename, rotate and revoke them here.');
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
    await state('12-no-octopus');
  });

  /** The inputs of the revokes the page sends from now on. */
  function watchRevokes(): { id: string; confirmRevokeGatewayCredential?: boolean }[] {
    const sent: { id: string; confirmRevokeGatewayCredential?: boolean }[] = [];
    const onRequest = (request: Request) => {
      if (request.url().endsWith('/graphql') && operationOf(request) === 'ConsoleDeleteKey') sent.push(request.postDataJSON().variables.input);
    };
    page.on('request', onRequest);
    onTestFinished(() => void page.off('request', onRequest));
    return sent;
  }
  const focused = () => page.evaluate(() => document.activeElement?.closest('label')?.textContent?.trim() ?? document.activeElement?.textContent);
  const UNCONFIRMED = 'This is the key keygate itself uses. To revoke it all the same, tick “Revoke it anyway”; otherwise, cancel.';

  it('labels the keys keygate itself uses, and revokes one only after a second, explained confirmation', async () => {
    // Its own gateway: revoking keygate's key locks that gateway out of Octopus for good.
    await using served = await serve({ env: { LOG_LEVEL: 'silent' } });
    const { t: own, server: ownServer } = served;
    await page.goto(`${ownServer.url}/`);
    await expect.poll(() => summary().textContent()).toBe('6 keys, newest first.');
    const name = 'Octopus CLI on laptop';
    const labelled = await rows().evaluateAll((trs) => trs.filter((tr) => tr.querySelector('.tag.gateway')).map((tr) => tr.querySelector('th')!.textContent));
    expect(labelled).toEqual([name, 'training-cluster']);
    expect(await row(name).locator('td[data-label="Risks"] li').first().textContent()).toBe('Used by keygate');

    const revokes = watchRevokes();
    await press(row(name).getByRole('button', { name: `Revoke ${name}`, exact: true }));
    const dialog = page.locator('#revoke-dialog');
    expect(await dialog.locator('[data-gateway]').isVisible()).toBe(true);
    expect(await dialog.locator('#revoke-gateway-text').textContent()).toBe(
      'keygate itself uses this key for Octopus Deploy account “default”. Revoking it locks keygate out of that account: its keys disappear from this list and no key can be created there until keygate is given a new key (set OCTOPUS_API_KEY on the gateway).',
    );
    expect(await dialog.getAttribute('aria-describedby')).toBe('revoke-text revoke-gateway-text');
    const confirm = dialog.getByRole('checkbox', { name: 'Revoke it anyway and lock keygate out of this account' });
    expect(await confirm.isChecked()).toBe(false);
    expect(await focused()).toBe('Cancel');
    await state('13-revoke-own-key', { fullPage: false });

    // The first confirmation alone does not revoke it: nothing is sent, and the box to tick has the focus.
    await press(dialog.getByRole('button', { name: 'Revoke key' }));
    expect(await dialog.locator('[data-error]').textContent()).toBe(UNCONFIRMED);
    expect(await focused()).toBe('Revoke it anyway and lock keygate out of this account');
    expect(revokes).toEqual([]);
    await state('13b-revoke-own-key-unconfirmed', { fullPage: false });

    // Cancelled and opened again, the box starts unticked.
    await press(confirm);
    await press(dialog.getByRole('button', { name: 'Cancel' }));
    await press(row(name).getByRole('button', { name: `Revoke ${name}`, exact: true }));
    expect(await confirm.isChecked()).toBe(false);

    await press(confirm);
    const request = await holdOperation(page, ownServer.url, 'ConsoleDeleteKey');
    await press(dialog.getByRole('button', { name: 'Revoke key' }));
    await request.arrived;
    expect(revokes).toEqual([{ id: await row(name).getAttribute('data-id'), confirmRevokeGatewayCredential: true }]);
    await request.release();
    await expect.poll(() => row(name).count()).toBe(0);
    expect(await page.locator('#keys tr.gone').textContent()).toBe(
      'Revoked “Octopus CLI on laptop” at Octopus Deploy. keygate cannot reach Octopus Deploy account “default” until it is given a new key.',
    );
    expect(own.octopus.keysOf('Users-1').map((key) => key.purpose)).not.toContain(name);
  });

  it('asks for the second confirmation when keygate refuses a key the list did not mark as its own', async () => {
    await using served = await serve({ env: { LOG_LEVEL: 'silent' } });
    const { t: own, server: ownServer } = served;
    // A list read before keygate's credential changed: no row says "Used by keygate".
    await listsForgetGatewayKeys(page, ownServer.url);
    await page.goto(`${ownServer.url}/`);
    await expect.poll(() => summary().textContent()).toBe('6 keys, newest first.');
    expect(await page.locator('.tag.gateway').count()).toBe(0);
    const name = 'training-cluster';
    const revokes = watchRevokes();
    await press(row(name).getByRole('button', { name: `Revoke ${name}`, exact: true }));
    const dialog = page.locator('#revoke-dialog');
    expect(await dialog.locator('[data-gateway]').isHidden()).toBe(true);
    await press(dialog.getByRole('button', { name: 'Revoke key' }));
    // keygate knows its key: it refuses, and the dialog turns into the second confirmation.
    await expect.poll(() => dialog.locator('[data-error]').textContent()).toBe(UNCONFIRMED);
    expect(await dialog.locator('[data-gateway]').isVisible()).toBe(true);
    expect(await dialog.locator('#revoke-gateway-text').textContent()).toContain('for Hyperstack account “default”');
    expect(await focused()).toBe('Revoke it anyway and lock keygate out of this account');
    expect(revokes).toEqual([{ id: await row(name).getAttribute('data-id') }]);
    expect(own.hyperstack.requests('DELETE /v1/api-key/{api_key_id}')).toBe(0);

    await press(dialog.getByRole('checkbox', { name: 'Revoke it anyway and lock keygate out of this account' }));
    await press(dialog.getByRole('button', { name: 'Revoke key' }));
    await expect.poll(() => row(name).count()).toBe(0);
    expect(revokes.at(-1)).toEqual({ id: revokes[0]!.id, confirmRevokeGatewayCredential: true });
    expect(await page.locator('#keys tr.gone').textContent()).toBe(
      'Revoked “training-cluster” at Hyperstack. keygate cannot reach Hyperstack account “default” until it is given a new key.',
    );
    expect(own.hyperstack.requests('DELETE /v1/api-key/{api_key_id}')).toBe(1);
  });

  it('ran with no script error and no request outside the gateway', () => {
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
  });
});
