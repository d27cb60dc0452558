// Regenerates the README's screenshots (docs/console.png, docs/console-phone.png,
// docs/console-activity.png, docs/graphiql.png) from the demo, in the same headless Chromium as the
// browser tests. Each waits for what it shows. Run: npm run screenshots (needs /usr/bin/chromium).
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { startDemo } from '../src/demo.js';
import { createGateway } from '../src/gateway.js';
import { openStore } from '../src/store/index.js';
import { PHONE, launchChromium, noChromium, screenshot, type Browser } from '../test/browser/chromium.js';
import { listen } from '../test/support/listen.js';

if (noChromium) process.exit(1); // chromium.ts has said why

const docs = fileURLToPath(new URL('../docs/', import.meta.url));
const demo = await startDemo(loadConfig({ LOG_LEVEL: 'silent' }));
// A store of its own, as the demo has, for the audit trail and the rotations; its loops stay off.
const store = await openStore({ url: 'sqlite::memory:' });
const gateway = createGateway(demo.config, { store, storeLoops: false });
const server = await listen(gateway);

/**
 * What a person would have done in the console, through the same API, so the Activity view has a
 * story. A refusal the story does not expect stops the script: the picture would show something else.
 */
async function graphql<T>(query: string, variables: Record<string, unknown> = {}, { refused = false } = {}): Promise<T | undefined> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-graphql-yoga-csrf': 'screenshots' },
    body: JSON.stringify({ query, variables }),
  });
  const { data, errors } = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (Boolean(errors?.length) !== refused) throw new Error(`screenshots: ${errors?.map((e) => e.message).join('; ') ?? 'expected a refusal'}`);
  return data ?? undefined;
}
/** A Hyperstack key by name (the story acts on two of them). */
async function keyId(search: string): Promise<string> {
  const data = await graphql<{ apiKeys: { nodes: { id: string }[] } }>('query($s: String) { apiKeys(first: 1, filter: { search: $s, providers: [HYPERSTACK] }) { nodes { id } } }', { s: search });
  return data!.apiKeys.nodes[0]!.id;
}
const browsers: Browser[] = [];
try {
  const desktop = await launchChromium({ locale: 'en-GB' });
  browsers.push(desktop);
  const { page } = await desktop.newPage();
  await page.setViewportSize({ width: 1360, height: 1000 });

  // The governance view: every Octopus user's keys (the demo seed gives them every risk), soonest expiry first.
  await page.goto(`${server.url}/`);
  await page.locator('#summary', { hasText: 'newest first' }).waitFor();
  await page.getByLabel('Octopus keys of').selectOption('ALL');
  await page.locator('#keys thead').getByRole('button', { name: 'Expires', exact: true }).click();
  await page.locator('#summary', { hasText: 'soonest expiry first' }).waitFor();
  await page.locator('#keys tbody td[data-label="Owner"]').first().waitFor();
  console.log('wrote', await screenshot(page, 'console', { dir: docs }));

  await page.goto(`${server.url}/graphql`);
  const run = page.getByRole('button', { name: /^Execute query/ });
  await run.waitFor();
  await Promise.all([page.waitForResponse((r) => r.request().postDataJSON()?.operationName === 'ApiKeys'), run.click()]);
  await page.locator('.graphiql-response', { hasText: '"HYPERSTACK"' }).waitFor();
  console.log('wrote', await screenshot(page, 'graphiql', { dir: docs, fullPage: false }));

  // The phone layout (one card per key), scrolled to the keys, at twice the pixels for a sharp image.
  const phone = await launchChromium({ locale: 'en-GB', device: { ...PHONE, deviceScaleFactor: 2 } });
  browsers.push(phone);
  const { page: phonePage } = await phone.newPage();
  await phonePage.goto(`${server.url}/`);
  await phonePage.locator('#summary', { hasText: 'newest first' }).waitFor();
  await phonePage.locator('#keys-heading').evaluate((heading) => heading.scrollIntoView({ block: 'start' }));
  console.log('wrote', await screenshot(phonePage, 'console-phone', { dir: docs, fullPage: false }));

  // Last, as it changes the keys: the Activity view after a morning's work (a create, a rotation, a
  // leaked secret revoked, a refused rename).
  await graphql('mutation { createOctopusApiKey(input: { purpose: "Deploy from CI" }) { secret } }');
  await graphql('mutation($id: ID!) { rotateApiKey(input: { id: $id, revokeOldAfter: 86400 }) { secret } }', { id: await keyId('terraform') });
  await graphql('mutation { revokeLeakedSecret(input: { secret: "API-DEMOLEAKEDGISTKEY0000000001" }) { provider } }');
  await graphql('mutation($id: ID!) { updateHyperstackApiKey(input: { id: $id, name: "terraform" }) { apiKey { id } } }', { id: await keyId('ci-gpu-smoke-tests') }, { refused: true });
  await gateway.store!.trail.settle();
  await page.goto(`${server.url}/#activity`);
  await page.locator('#activity-summary', { hasText: 'newest first' }).waitFor();
  console.log('wrote', await screenshot(page, 'console-activity', { dir: docs, fullPage: false }));
} finally {
  for (const browser of browsers) await browser.close();
  await server.close();
  await gateway.close();
  await store.close();
  await demo.close();
}
