// axe-core in the page under test, in both colour schemes. The console's CSP (script-src 'self')
// forbids inline scripts, so `addScriptTag({ content })` would be blocked; Playwright's evaluate
// runs through the DevTools protocol, which CSP does not govern. So axe runs on the page exactly as
// served, CSP and all, with no `bypassCSP` context that could hide a CSP problem elsewhere.
import axe from 'axe-core';
import type { Page } from 'playwright-core';

type AxeWindow = typeof globalThis & { axe?: typeof axe };

export interface AxeViolation {
  scheme: 'light' | 'dark';
  rule: string;
  impact: string | null | undefined;
  targets: string[];
  summary: string | undefined;
}

/**
 * Runs axe in light and then dark mode; returns every violation, as plain data for toEqual([]).
 * `include`: selectors of the parts to check (default: the whole page). axe takes seconds per
 * hundred table rows, and listing what to check is much faster than listing what to leave out.
 */
export async function axeViolations(page: Page, include: string[] = ['html']): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => typeof (globalThis as AxeWindow).axe === 'object'))) await page.evaluate(axe.source);
  const found: AxeViolation[] = [];
  const before = (await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)) ? 'dark' : 'light';
  try {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const results = await page.evaluate(
        (include) => (globalThis as AxeWindow).axe!.run({ include: include.map((s) => [s]) }, { resultTypes: ['violations'] }),
        include,
      );
      for (const violation of results.violations) {
        for (const node of violation.nodes) {
          found.push({ scheme, rule: violation.id, impact: node.impact, targets: node.target.map(String), summary: node.failureSummary });
        }
      }
    }
  } finally {
    await page.emulateMedia({ colorScheme: before });
  }
  return found;
}
