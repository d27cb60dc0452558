// Regenerates the README's screenshots (docs/console.png, docs/console-phone.png, docs/graphiql.png)
// from the demo, in the same headless Chromium as the browser tests. Each waits for what it shows. Run: npm run screenshots (needs
// /usr/bin/chromium).
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { startDemo } from '../src/demo.js';
import { createGateway } from '../src/gateway.js';
import { PHONE, launchChromium, noChromium, screenshot, type Browser } from '../test/browser/chromium.js';
import { listen } from '../test/support/listen.js';

if (noChromium) process.exit(1); // chromium.ts has said why

const docs = fileURLToPath(new URL('../docs/', import.meta.url));
const demo = await startDemo(loadConfig({ LOG_LEVEL: 'silent' }));
const gateway = createGateway(demo.config);
const server = await listen(gateway);
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
} finally {
  for (const browser of browsers) await browser.close();
  await server.close();
  await gateway.close();
  await demo.close();
}
