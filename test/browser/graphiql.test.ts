// GraphiQL in headless Chromium: it loads with nothing from the internet, opens on the unified
// list, runs it, and shows keys of both providers.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Listening } from '../support/listen.js';
import { launchChromium, noChromium, requestsOutside, screenshot } from './chromium.js';
import { useBrowserSession } from './session.js';

describe.skipIf(noChromium)('GraphiQL in Chromium', () => {
  let server: Listening;
  let page: Page;
  let errors: string[];
  let outside: string[] = [];

  useBrowserSession(() => ({ env: { LOG_LEVEL: 'silent' } }), undefined, (session) => {
    ({ server, page, errors } = session);
    outside = requestsOutside(session.browser.context, server.url);
  });

  it('opens offline, titled keygate, with a tab per example', async () => {
    const started = Date.now();
    await page.goto(`${server.url}/graphql`);
    await page.getByRole('button', { name: /^Execute query/ }).waitFor();
    console.log(`GraphiQL: ready to run ${Date.now() - started} ms after navigation`);
    expect(await page.title()).toBe('keygate');
    const tabs = (await page.locator('.graphiql-tab').allTextContents()).map((text) => text.replace(/wze icon$/, '').trim());
    expect(tabs).toEqual([
      'ApiKeys',
      'ApiKeysPage',
      'ApiKey',
      'Node',
      'Nodes',
      'Viewer',
      'CreateOctopusApiKey',
      'GenerateHyperstackApiKey',
      'UpdateHyperstackApiKey',
      'DeleteApiKey',
      'NeedsAttention',
      'RotateApiKeys',
      'Rotations',
      'CompleteRotation',
      'CancelRotation',
      'AuditEvents',
      'RevokeLeakedSecret',
    ]);
    // The headers editor explains the credential headers.
    await page.getByRole('button', { name: 'Headers' }).click();
    await expect.poll(() => page.locator('.graphiql-editor-tool').textContent()).toContain('"X-Octopus-ApiKey"');
    expect(await page.locator('.graphiql-editor-tool').textContent()).toContain('"X-Hyperstack-Api-Key"');
  });

  it('runs the default query and shows keys from both providers', async () => {
    const [response] = await Promise.all([
      page.waitForResponse(
        (r) => r.url() === `${server.url}/graphql` && r.request().method() === 'POST' && r.request().postDataJSON()?.operationName === 'ApiKeys',
      ),
      page.getByRole('button', { name: /^Execute query/ }).click(),
    ]);
    expect(response.status()).toBe(200);
    const body = (await response.json()) as { data: { apiKeys: { nodes: { provider: string }[] } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(new Set(body.data.apiKeys.nodes.map((k) => k.provider))).toEqual(new Set(['OCTOPUS', 'HYPERSTACK']));
    // The commented-out credential headers were not sent.
    expect(Object.keys(await response.request().allHeaders())).not.toContain('x-octopus-apikey');

    // The result pane shows them (the first two keys of the demo are one of each).
    const result = page.locator('.graphiql-response');
    await expect.poll(() => result.textContent()).toContain('"OCTOPUS"');
    expect(await result.textContent()).toContain('"HYPERSTACK"');
    await screenshot(page, 'graphiql-01-apikeys', { fullPage: false });

    // Nothing GraphiQL keeps (tabs, headers, the history it wrote when the query ran) reaches the
    // browser's storage: it lives in the page's memory.
    expect(await page.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)])).toEqual([]);
  });

  it('does not fill the editor from a link: ?query= is dropped before GraphiQL starts', async () => {
    const link = `${server.url}/graphql?query=${encodeURIComponent('mutation FromALink { generateHyperstackApiKey(input: { name: "clicked" }) { secret } }')}`;
    const fresh = await launchChromium(); // a first visit: no tabs remembered from the tests above
    try {
      const { page: linked, errors: linkedErrors } = await fresh.newPage();
      await linked.goto(link);
      await linked.getByRole('button', { name: /^Execute query/ }).waitFor();
      // The query editor is the first Monaco editor; it draws its lines with no-break spaces.
      const editor = async () => (await linked.locator('.graphiql-editor .view-lines').first().textContent())?.replace(/\u00a0/g, ' ') ?? '';
      await expect.poll(editor).toMatch(/\w/);
      expect(await editor()).toContain('Every API key you hold'); // the first example, as on any first visit
      expect(await editor()).not.toContain('FromALink');
      expect(new URL(linked.url()).searchParams.has('query')).toBe(false);
      expect(linkedErrors).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('never writes what is typed into the page address: a secret pasted into a query stays out of the history', async () => {
    await page.goto(`${server.url}/graphql`);
    await page.getByRole('button', { name: /^Execute query/ }).waitFor();
    await page.locator('.graphiql-editor .view-lines').first().click();
    await page.keyboard.press('ControlOrMeta+A');
    // Records each address GraphiQL asks for, before the page's own wrapper drops the query from it.
    await page.evaluate(() => {
      const tried: string[] = ((window as unknown as { tried: string[] }).tried = []);
      const replace = history.replaceState;
      history.replaceState = function (state: unknown, unused: string, target?: string | URL | null) {
        tried.push(String(target));
        return replace.call(this, state, unused, target);
      };
    });
    await page.keyboard.type('mutation { revokeLeakedSecret(input: { secret: "API-TYPEDINTOGRAPHIQL0000000000" }) { provider } }');
    const editor = async () => (await page.locator('.graphiql-editor .view-lines').first().textContent())?.replace(/\u00a0/g, ' ') ?? '';
    await expect.poll(editor).toContain('API-TYPEDINTOGRAPHIQL');
    // GraphiQL writes the URL a moment after an edit: wait until it has tried (the page's own wrapper drops the query).
    await expect.poll(() => page.evaluate(() => (window as unknown as { tried: string[] }).tried.join(' '))).toContain('TYPEDINTOGRAPHIQL');
    expect(page.url()).not.toContain('TYPEDINTOGRAPHIQL');
    expect(await page.evaluate(() => location.search)).toBe('');
    // Run it: GraphiQL adds it to its history as it starts, then shows the answer.
    await page.getByRole('button', { name: /^Execute query/ }).click();
    await expect.poll(async () => (await page.locator('.graphiql-response').textContent()) ?? '').toMatch(/"(data|errors)"/);
    expect(await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }]))).not.toContain('TYPEDINTOGRAPHIQL');
    // A reload starts afresh: the secret is not brought back from anywhere.
    await page.reload();
    await page.getByRole('button', { name: /^Execute query/ }).waitFor();
    await expect.poll(editor).toMatch(/\w/);
    expect(await editor()).not.toContain('TYPEDINTOGRAPHIQL');
  });

  it('ran with no script error and no request outside the gateway', () => {
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);
  });
});
