// Rotating keys from the console, in headless Chromium on a desktop and a touch phone, against the
// gateway and the simulators with the demo's keys: the Rotate dialog and its overlap choice, the new
// secret shown once, the rows changed in place, the rotations under way with Complete and Cancel,
// keygate's own key asked about twice, and providers failing half-way. The store's time is the test's
// (the scheduler runs only when a test ticks it). Within a device the tests run in order and share
// the data: each says what it changes.
import { sql } from 'kysely';
import type { Locator, Page, Request } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { TestGateway } from '../support/gateway.js';
import type { Listening } from '../support/listen.js';
import { DESKTOP, PHONE, noChromium, type Device } from './chromium.js';
import { holdOperation, inView, listsForgetGatewayKeys, loseAnswersTo, keepState, keyNames, keyRow, keyRows, operationOf, overflowing, press } from './console-page.js';
import { serve, useBrowserSession } from './session.js';

const DEVICES: Device[] = [DESKTOP, PHONE];
const DAY_S = 86_400;

describe.skipIf(noChromium).each(DEVICES)('rotating keys in the console on a $name', (device) => {
  let t: TestGateway;
  let server: Listening;
  let page: Page;
  let errors: string[];
  /** The store's clock runs this far from the wall clock: tests move it to make overlaps end. */
  let storeOffsetMs = 0;

  useBrowserSession(() => ({ env: { LOG_LEVEL: 'silent' }, storeClock: () => new Date(Date.now() + storeOffsetMs) }), device, (session) => void ({ t, server, page, errors } = session));

  const state = (name: string, options?: { fullPage?: boolean }) => keepState(page, `console-rotation-${device.name}-${name}`, options);
  const tap = (locator: Locator) => press(device, locator);
  const row = (name: string) => keyRow(page, name);
  const rowById = (id: string) => page.locator(`#keys tbody tr[data-id="${id}"]`);
  const summary = () => page.locator('#summary');
  const secrets = () => page.locator('.secret');
  const dialog = () => page.locator('#rotate-dialog');
  const cards = () => page.locator('#rotation-list > li');
  const card = (name: string) => cards().filter({ has: page.locator('h3', { hasText: name }) });
  const runtime = () => t.gateway.store!;
  const live = async () => (await runtime().rotations.rotations.list({ filter: { states: ['PENDING_CREATE', 'OVERLAP', 'NEEDS_ATTENTION'] } })).edges.map((e) => e.node);
  const focused = () => page.evaluate(() => document.activeElement?.closest('label')?.textContent?.trim() ?? document.activeElement?.textContent);

  async function open(): Promise<void> {
    await page.goto(`${server.url}/`);
    await expect.poll(() => summary().textContent()).toMatch(/keys?, newest first/);
  }

  /** The inputs of the rotations the page sends from now on. */
  function watchRotations(): Record<string, unknown>[] {
    const sent: Record<string, unknown>[] = [];
    const onRequest = (request: Request) => {
      if (request.url().endsWith('/graphql') && operationOf(request) === 'ConsoleRotateKey') sent.push(request.postDataJSON().variables.input);
    };
    page.on('request', onRequest);
    onTestFinished(() => void page.off('request', onRequest));
    return sent;
  }

  /** The key names at Hyperstack, as the gateway lists them. */
  async function hyperstackNames(): Promise<string[]> {
    const answer = await t.query<{ apiKeys: { nodes: { name: string }[] } }>('{ apiKeys(first: 100, filter: { providers: [HYPERSTACK] }) { nodes { name } } }');
    return answer.body.data!.apiKeys.nodes.map((key) => key.name);
  }

  it('rotates a Hyperstack key with a day of overlap: its secret once, the replacement above the old key, which says when it goes', async () => {
    await open();
    const oldId = (await row('terraform').getAttribute('data-id'))!;
    await tap(row('terraform').getByRole('button', { name: 'Rotate terraform', exact: true }));
    expect(await dialog().isVisible()).toBe(true);
    expect(await dialog().locator('#rotate-text').textContent()).toContain(
      'Hyperstack names are unique, so this key is first renamed aside, to “terraform (rotated …)”, and the new key takes its name, “terraform”, and its description.',
    );
    // A day is the default; the safe choice (Cancel) has the focus, so Enter alone does not rotate.
    expect(await dialog().getByRole('radio', { name: 'In 1 day' }).isChecked()).toBe(true);
    expect(await dialog().getByRole('radio').evaluateAll((radios) => radios.map((r) => r.parentElement!.textContent!.trim()))).toEqual([
      'Now, as soon as the replacement exists',
      'In 1 hour',
      'In 1 day',
      'In 7 days',
    ]);
    expect(await focused()).toBe('Cancel');
    expect(await dialog().locator('[data-gateway]').isHidden()).toBe(true);
    expect(await inView(dialog())).toBe(true);
    expect(await overflowing(page)).toEqual([]);
    await state('01-rotate-dialog', { fullPage: false });
    // Escape cancels, and nothing happened.
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog().isVisible()).toBe(false);
    expect(await live()).toEqual([]);

    await tap(row('terraform').getByRole('button', { name: 'Rotate terraform', exact: true }));
    const request = await holdOperation(page, server.url, 'ConsoleRotateKey');
    await tap(dialog().getByRole('button', { name: 'Rotate key' }));
    await request.arrived;
    expect(await dialog().locator('button[type="submit"]').textContent()).toBe('Rotating…');
    expect(await dialog().locator('form').getAttribute('aria-busy')).toBe('true');
    await request.release();

    // The secret, once, in the panel the creates use, with the copy button focused.
    await expect.poll(() => secrets().count()).toBe(1);
    const secret = await secrets().locator('input').inputValue();
    expect(secret).toMatch(/^[0-9a-f-]{36}$/);
    expect(await secrets().locator('h2').textContent()).toBe('Secret of terraform');
    expect(await focused()).toBe('Copy the secret of terraform');
    const [rotation] = await live();
    expect(rotation).toMatchObject({ state: 'OVERLAP', overlapSeconds: DAY_S, oldKeyName: 'terraform' });
    const revokeAt = rotation!.revokeOldAt!.toISOString();
    const note = secrets().locator('[data-secret-note]');
    expect(await note.textContent()).toMatch(/^This replaces the key with hint …\w{4}, which keeps working until .+\.$/);
    expect(await note.locator('time').getAttribute('datetime')).toBe(revokeAt);

    // In place: the replacement just above the old key, whose row reads its new name and when it goes.
    await expect.poll(() => rowById(oldId).locator('th').textContent()).toMatch(/^terraform \(rotated \d{4}-\d\d-\d\d \d\d:\d\d\)$/);
    const renamed = (await rowById(oldId).locator('th').textContent())!;
    const names = await keyNames(page);
    expect(names.slice(names.indexOf('terraform'), names.indexOf('terraform') + 2)).toEqual(['terraform', renamed]);
    expect(await row('terraform').locator('code').textContent()).toBe(`…${secret.slice(-4)}`);
    expect(await row('terraform').getAttribute('class')).toBe('new');
    const tag = rowById(oldId).locator('li[data-rotation]');
    expect(await tag.textContent()).toMatch(/^Rotating: revoked /);
    expect(await tag.locator('time').getAttribute('datetime')).toBe(revokeAt);
    // One rotation per key at a time: the old key offers no second.
    expect(await rowById(oldId).getByRole('button', { name: /^Rotate/ }).count()).toBe(0);
    expect(await rowById(oldId).locator('.done').textContent()).toBe('Renamed aside; replaced by the key above.');
    expect(await summary().textContent()).toBe('7 keys, newest first.');
    expect(await page.locator('#keys').textContent()).not.toContain(secret);

    // The rotation is under way, in words, with its buttons.
    expect(await page.locator('#rotations').isVisible()).toBe(true);
    expect(await cards().count()).toBe(1);
    expect(await card('terraform').locator('.state').textContent()).toMatch(/^Both keys work until .+; then keygate revokes the old key\.$/);
    expect(await card('terraform').locator('.state time').getAttribute('datetime')).toBe(revokeAt);
    for (const name of ['Complete the rotation of terraform', 'Cancel rotation of terraform']) {
      expect(await card('terraform').getByRole('button', { name, exact: true }).isVisible()).toBe(true);
    }
    expect(await overflowing(page)).toEqual([]);
    await state('02-rotated-with-overlap');
    await tap(page.getByRole('button', { name: /I have stored it/ }));
    expect(await secrets().count()).toBe(0);
  });

  it('rotates an Octopus key now: the replacement keeps the purpose and lifetime, and the old row gives way', async () => {
    const name = 'GitHub Actions: deploy web-storefront';
    const oldId = (await row(name).getAttribute('data-id'))!;
    await tap(row(name).getByRole('button', { name: `Rotate ${name}`, exact: true }));
    expect(await dialog().locator('[data-how]').textContent()).toBe('The new key gets the same purpose and the same lifetime, 180 days, counted from now.');
    await tap(dialog().getByRole('radio', { name: 'Now, as soon as the replacement exists' }));
    const sent = watchRotations();
    await tap(dialog().getByRole('button', { name: 'Rotate key' }));
    await expect.poll(() => secrets().count()).toBe(1);
    expect(sent).toEqual([{ id: oldId, revokeOldAfter: 0 }]);
    const secret = await secrets().locator('input').inputValue();
    expect(secret).toMatch(/^API-[A-Z0-9]{20,}$/);
    expect(await secrets().locator('[data-secret-note]').textContent()).toMatch(/^This replaces the key with hint API-\w{4}…, which is revoked\.$/);
    expect(await focused()).toBe(`Copy the secret of ${name}`);

    // The old key is gone at Octopus and from the list; its replacement took its place, just above.
    expect(await page.locator('#keys tr.gone').textContent()).toBe(`Rotated: “${name}” is revoked; its replacement is above.`);
    expect(await rowById(oldId).count()).toBe(0);
    expect(await row(name).count()).toBe(1);
    expect(await row(name).locator('code').textContent()).toBe(`${secret.slice(0, 8)}…`);
    const octopusKeys = t.octopus.keysOf('Users-1');
    expect(octopusKeys.filter((key) => key.purpose === name)).toHaveLength(1);
    expect(octopusKeys.map((key) => key.id)).not.toContain('apikeys-MariaGithubActions00000002');
    // Nothing is left under way for it.
    expect(await cards().count()).toBe(1);
    expect(await summary().textContent()).toBe('7 keys, newest first.');
    await state('03-rotated-now');
    await tap(page.getByRole('button', { name: /I have stored it/ }));
  });

  it('asks twice before rotating the key keygate uses, and sends the confirmation only when ticked', async () => {
    const name = 'Octopus CLI on laptop';
    await tap(row(name).getByRole('button', { name: `Rotate ${name}`, exact: true }));
    const gateway = dialog().locator('[data-gateway]');
    expect(await gateway.isVisible()).toBe(true);
    expect(await dialog().locator('#rotate-gateway-text').textContent()).toBe(
      'keygate itself uses this key for Octopus Deploy account “default”. Rotating is the safe way to change it: keygate goes on using this key while both work, so give keygate the new secret (set OCTOPUS_API_KEY on the gateway) before this key is revoked, or keygate is locked out of that account until it has it.',
    );
    expect(await dialog().getAttribute('aria-describedby')).toBe('rotate-text rotate-gateway-text');
    const sent = watchRotations();
    await tap(dialog().getByRole('button', { name: 'Rotate key' }));
    expect(await dialog().locator('[data-error]').textContent()).toBe(
      'This is the key keygate itself uses. To rotate it all the same, tick “Rotate it anyway”; otherwise, cancel.',
    );
    expect(await focused()).toBe('Rotate it anyway: I will give keygate the new key');
    expect(sent).toEqual([]);
    // Taller than a phone, the dialog scrolls inside, and its buttons stay in sight.
    const inDialog = (button: Locator) =>
      button.evaluate((node) => {
        const box = node.getBoundingClientRect();
        const frame = node.closest('dialog')!.getBoundingClientRect();
        return box.top >= frame.top && box.bottom <= frame.bottom && box.bottom <= document.documentElement.clientHeight;
      });
    expect(await inDialog(dialog().getByRole('button', { name: 'Rotate key' }))).toBe(true);
    expect(await inDialog(dialog().getByRole('button', { name: 'Cancel' }))).toBe(true);
    expect(await inDialog(dialog().locator('[data-error]'))).toBe(true);
    // The box to tick has the focus, in sight and not under the buttons.
    const box = dialog().getByRole('checkbox');
    const onTop = (node: Element) => {
      const { left, top, width, height } = node.getBoundingClientRect();
      const label = node.closest('label')!.getBoundingClientRect();
      const foot = node.closest('dialog')!.querySelector('.dialog-foot')!.getBoundingClientRect();
      return node === document.activeElement && document.elementFromPoint(left + width / 2, top + height / 2) === node && label.bottom <= foot.top;
    };
    expect(await box.evaluate(onTop)).toBe(true);
    await state('04-rotate-own-key-unconfirmed', { fullPage: false });

    await tap(dialog().getByRole('checkbox', { name: 'Rotate it anyway: I will give keygate the new key' }));
    await tap(dialog().getByRole('radio', { name: 'In 7 days' }));
    await tap(dialog().getByRole('button', { name: 'Rotate key' }));
    await expect.poll(() => secrets().count()).toBe(1);
    expect(sent).toEqual([{ id: expect.any(String), revokeOldAfter: 7 * DAY_S, confirmRevokeGatewayCredential: true }]);
    // The secret says what to do with it: keygate goes on with the old key until its setting changes.
    expect(await secrets().locator('[data-secret-note]').textContent()).toMatch(
      /^This replaces the key with hint API-\w{4}…, which keeps working until .+\. keygate uses it for Octopus Deploy account “default”: give keygate this secret \(set OCTOPUS_API_KEY on the gateway\) before then\.$/,
    );
    await state('04b-rotated-own-key');
    await expect.poll(() => cards().count()).toBe(2);
    expect(await cards().first().locator('h3').textContent()).toContain(name);
    await tap(page.getByRole('button', { name: /I have stored it/ }));

    // A list read before keygate's key changed marks no key as its own: keygate refuses, and the
    // dialog turns into the second confirmation. (Cancelled here: keygate keeps its Hyperstack key.)
    await listsForgetGatewayKeys(page, server.url);
    await open();
    await tap(row('training-cluster').getByRole('button', { name: 'Rotate training-cluster', exact: true }));
    expect(await gateway.isHidden()).toBe(true);
    await tap(dialog().getByRole('button', { name: 'Rotate key' }));
    await expect.poll(() => gateway.isVisible()).toBe(true);
    expect(await dialog().locator('#rotate-gateway-text').textContent()).toContain('for Hyperstack account “default”');
    expect(await focused()).toBe('Rotate it anyway: I will give keygate the new key');
    expect(sent.at(-1)).toEqual({ id: await row('training-cluster').getAttribute('data-id'), revokeOldAfter: DAY_S });
    expect(await live()).toHaveLength(2);
    await tap(dialog().getByRole('button', { name: 'Cancel' }));
  });

  it('says in words when a provider fails half-way, and shows nothing half-done', async () => {
    await open();
    const name = 'ci-gpu-smoke-tests';
    // Hyperstack refuses the new key after keygate renamed the old one aside: the rename is undone.
    t.hyperstack.fault('POST /v1/api-key/generate', { mode: 'rate-limit' }, { times: 1 });
    await tap(row(name).getByRole('button', { name: `Rotate ${name}`, exact: true }));
    await tap(dialog().getByRole('button', { name: 'Rotate key' }));
    const error = dialog().locator('[data-error]');
    await expect.poll(() => error.textContent()).toMatch(new RegExp(`^Hyperstack is limiting requests; try again shortly: .+ “${name}” was not rotated: nothing changed\\.$`));
    expect(await dialog().isVisible()).toBe(true);
    expect(await secrets().count()).toBe(0);
    expect(await row(name).locator('li[data-rotation]').count()).toBe(0);
    expect((await keyNames(page)).filter((n) => n.includes('rotated'))).toEqual([(await keyNames(page)).find((n) => n.startsWith('terraform (rotated'))]);
    expect(await hyperstackNames()).toContain(name);
    expect(await live()).toHaveLength(2);
    await state('05-rotation-refused', { fullPage: false });
    await tap(dialog().getByRole('button', { name: 'Cancel' }));

    // Octopus fails while making the new key: it may exist, with a secret nobody has. The rotation
    // under way says so, and keygate's recovery settles it (nothing was made: the old key stays).
    const octopusName = 'Terraform provider (platform-infra)';
    t.octopus.fault('POST /api/users/{userId}/apikeys', { mode: 'error' }, { times: 1 });
    await tap(row(octopusName).getByRole('button', { name: `Rotate ${octopusName}`, exact: true }));
    await tap(dialog().getByRole('button', { name: 'Rotate key' }));
    await expect.poll(() => error.textContent()).toBe(
      `Octopus Deploy did not confirm the replacement of “${octopusName}”: it may have been made, and its secret reached no one. keygate looks for it and revokes it, and leaves “${octopusName}” working; the rotation under way says when that is done. Rotate it again after that.`,
    );
    expect(await secrets().count()).toBe(0);
    await expect.poll(() => card(octopusName).locator('.state').textContent()).toBe(
      'Octopus Deploy did not confirm the replacement (Octopus Deploy answered with an error). keygate is checking whether it was made: a key it finds is left for you to revoke if nobody holds its secret (see Activity), since it cannot tell it from one someone made after this answer. The old key stays as it is.',
    );
    // Neither finished nor cancellable: no buttons, and the key's row says it is being rotated.
    expect(await card(octopusName).getByRole('button').count()).toBe(0);
    expect(await row(octopusName).locator('li[data-rotation]').textContent()).toBe('Rotating');
    await tap(dialog().getByRole('button', { name: 'Cancel' }));
    await state('06-rotation-unsettled');

    onTestFinished(() => void (storeOffsetMs = 0)); // also when a step fails: the next tests share the store's clock
    storeOffsetMs = 3_600_000; // past any create still in flight
    await runtime().rotations.recover();
    storeOffsetMs = 0;
    await tap(page.getByRole('button', { name: 'Refresh' }));
    await expect.poll(() => card(octopusName).count()).toBe(0);
    expect(await row(octopusName).locator('li[data-rotation]').count()).toBe(0);
    expect(await row(octopusName).getByRole('button', { name: `Rotate ${octopusName}`, exact: true }).isVisible()).toBe(true);
  });

  it('lists a rotation whose old key was used after it began, and completes it: the old key goes', async () => {
    const name = 'Deploy bot';
    const { secret } = t.octopus.addKey('Users-1', { purpose: name, expires: new Date(Date.now() + 30 * DAY_S * 1000) });
    // The rotation begins a minute before the old key is next used.
    onTestFinished(() => void (storeOffsetMs = 0)); // also when a step fails: the next tests share the store's clock
    storeOffsetMs = -60_000;
    await open();
    const oldId = (await row(name).getAttribute('data-id'))!;
    await tap(row(name).getByRole('button', { name: `Rotate ${name}`, exact: true }));
    await tap(dialog().getByRole('radio', { name: 'In 1 hour' }));
    await tap(dialog().getByRole('button', { name: 'Rotate key' }));
    await expect.poll(() => secrets().count()).toBe(1);
    await tap(page.getByRole('button', { name: /I have stored it/ }));
    expect((await fetch(`${t.octopus.url}/api/users/me`, { headers: { 'X-Octopus-ApiKey': secret } })).status).toBe(200);
    // The hour is over: the scheduler finds the old key used since, and leaves it to a person.
    storeOffsetMs = 2 * 3_600_000;
    expect((await runtime().rotations.scheduler.tick()).map((result) => [result.outcome, result.code])).toEqual([['NEEDS_ATTENTION', 'OLD_KEY_IN_USE']]);

    await tap(page.getByRole('button', { name: 'Refresh' }));
    // With when it was used (Rotation.oldKeyUsedAt), in the browser's own time.
    await expect.poll(() => card(name).locator('.state').textContent()).toMatch(
      /^Needs you: the old key was used after the rotation began \(\d{1,2} \w{3} \d{4}, \d{2}:\d{2}\), so keygate did not revoke it\. Complete revokes it anyway; Cancel rotation keeps both keys\.$/,
    );
    expect(await card(name).getAttribute('data-state')).toBe('NEEDS_ATTENTION');
    expect(await rowById(oldId).locator('li[data-rotation]').textContent()).toBe('Rotation needs you');
    expect(await overflowing(page)).toEqual([]);
    await state('07-needs-attention');

    // Complete revokes now: it asks first, with the safe choice focused.
    await tap(card(name).getByRole('button', { name: `Complete the rotation of ${name}`, exact: true }));
    const confirm = page.locator('#complete-dialog');
    expect(await confirm.locator('#complete-text').textContent()).toContain(`${name} at Octopus Deploy (hint API-`);
    expect(await confirm.locator('[data-in-use]').textContent()).toBe('It was used after the rotation began: something may still depend on it.');
    expect(await focused()).toBe('Not now');
    expect(await inView(confirm)).toBe(true);
    await state('08-complete-confirm', { fullPage: false });
    const request = await holdOperation(page, server.url, 'ConsoleCompleteRotation');
    await tap(confirm.getByRole('button', { name: 'Revoke old key' }));
    await request.arrived;
    expect(await confirm.locator('button[type="submit"]').textContent()).toBe('Revoking…');
    await request.release();

    // In place: the card says it is done (and has the focus), the old key's row gives way.
    await expect.poll(() => cards().filter({ hasText: 'Completed' }).textContent()).toBe(`Completed: “${name}” is revoked; its replacement stays.`);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(`Completed: “${name}” is revoked; its replacement stays.`);
    expect(await rowById(oldId).count()).toBe(0);
    expect(await page.locator('#keys tr.gone', { hasText: name }).textContent()).toBe(`Revoked “${name}”: its rotation was completed.`);
    expect(await row(name).count()).toBe(1);
    expect(t.octopus.keysOf('Users-1').filter((key) => key.purpose === name)).toHaveLength(1);
    storeOffsetMs = 0;
  });

  it('cancels rotations: both keys stay, and each old key can be rotated again', async () => {
    await open();
    const renamed = (await keyNames(page)).find((n) => n.startsWith('terraform (rotated'))!;
    expect((await cards().locator('h3').allTextContents()).map((h) => h.replace(/^(Octopus Deploy|Hyperstack) /, ''))).toEqual(['Octopus CLI on laptop', 'terraform']);
    const request = await holdOperation(page, server.url, 'ConsoleCancelRotation');
    await tap(card('terraform').getByRole('button', { name: 'Cancel rotation of terraform', exact: true }));
    await request.arrived;
    // While it runs, the button says so, and the card's buttons are off.
    const cancel = card('terraform').locator('button[data-action="cancel"]');
    expect(await cancel.textContent()).toBe('Cancelling… of terraform');
    expect(await card('terraform').getByRole('button', { disabled: true }).count()).toBe(2);
    expect(await card('terraform').getAttribute('aria-busy')).toBe('true');
    await request.release();
    await expect.poll(() => cards().filter({ hasText: 'Cancelled' }).textContent()).toBe(
      'Cancelled: “terraform” and its replacement both stay. Revoke the old one yourself once nothing uses it.',
    );
    expect(await row(renamed).locator('li[data-rotation]').count()).toBe(0);
    expect(await row(renamed).getByRole('button', { name: `Rotate ${renamed}`, exact: true }).isVisible()).toBe(true);
    expect(await row('terraform').count()).toBe(1);
    expect(await hyperstackNames()).toEqual(expect.arrayContaining(['terraform', renamed]));

    // keygate keeps its own key too.
    await tap(card('Octopus CLI on laptop').getByRole('button', { name: 'Cancel rotation of Octopus CLI on laptop', exact: true }));
    await expect.poll(() => cards().filter({ hasText: 'Cancelled' }).count()).toBe(2);
    expect(await live()).toEqual([]);
    expect(await page.locator('#rotations').isVisible()).toBe(true);
    expect(await overflowing(page)).toEqual([]);
    await state('09-cancelled');
    // Nothing under way: the section is gone on the next visit.
    await open();
    expect(await page.locator('#rotations').isHidden()).toBe(true);
    expect(await keyRows(page).locator('li[data-rotation]').count()).toBe(0);
  });

  it.each([
    { how: 'reset' as const, name: 'Answer lost on the way', logged: 'Failed to load resource: net::ERR_CONNECTION_RESET' },
    // A JSON body that is no GraphQL result once read as "no errors, no data": the dialog said nothing.
    { how: 'proxy' as const, name: 'Answer replaced by a proxy', logged: 'Failed to load resource: the server responded with a status of 504 (Gateway Timeout)' },
  ])('a rotation whose answer was lost ($how) says its secret may have reached no one, and shows it under way to cancel', async ({ how, name, logged }) => {
    t.octopus.addKey('Users-1', { purpose: name, expires: new Date(Date.now() + 30 * DAY_S * 1000) });
    await open();
    // keygate rotates the key; its answer never reaches the page.
    await loseAnswersTo(page, server.url, 'ConsoleRotateKey', how);
    await tap(row(name).getByRole('button', { name: `Rotate ${name}`, exact: true }));
    await tap(dialog().getByRole('button', { name: 'Rotate key' }));
    await expect.poll(() => dialog().locator('[data-error]').textContent()).toMatch(
      new RegExp(`Whether “${name}” was rotated is unknown\\. If a rotation of it now shows under “Rotations under way”, its new secret never reached you: cancel that rotation \\(both keys stay\\), then revoke the replacement\\.$`),
    );
    expect(await secrets().count()).toBe(0);
    // The page reloaded what is true: the rotation is under way, and can be cancelled.
    await expect.poll(() => card(name).count()).toBe(1);
    await tap(dialog().getByRole('button', { name: 'Cancel' }));
    await tap(card(name).getByRole('button', { name: `Cancel rotation of ${name}`, exact: true }));
    await expect.poll(live).toEqual([]);
    // The lost answer is the one error the browser logged here, and it was on purpose.
    expect(errors.splice(errors.indexOf(logged), 1)).toEqual([logged]);
  });

  it('says beside the secret when the store fails once the replacement exists', async () => {
    // A gateway of its own, on a store the test can break under it.
    const store = await openStore({ url: 'sqlite::memory:' });
    onTestFinished(() => store.close());
    await using served = await serve({ env: { LOG_LEVEL: 'silent' }, store });
    const name = 'GitHub Actions: deploy web-storefront';
    await page.goto(`${served.server.url}/`);
    await expect.poll(() => summary().textContent()).toMatch(/keys?, newest first/);
    const create = served.t.octopus.hold('POST /api/users/{userId}/apikeys');
    await tap(row(name).getByRole('button', { name: `Rotate ${name}`, exact: true }));
    await tap(dialog().getByRole('button', { name: 'Rotate key' }));
    await create.arrived;
    await sql`ALTER TABLE rotations RENAME TO rotations_away`.execute(store.db);
    create.release();
    await expect.poll(() => secrets().count()).toBe(1);
    expect(await secrets().locator('input').inputValue()).toMatch(/^API-[A-Z0-9]{20,}$/);
    expect(await secrets().locator('[data-secret-note]').textContent()).toMatch(
      /^This replaces the key with hint API-\w{4}…, which is not settled yet\. The new key exists and its secret is in this answer, but keygate's store could not record the rotation\./,
    );
    await tap(page.getByRole('button', { name: /I have stored it/ }));
    await sql`ALTER TABLE rotations_away RENAME TO rotations`.execute(store.db);
  });

  it('ran with no script error', () => {
    expect(errors).toEqual([]);
  });
});
