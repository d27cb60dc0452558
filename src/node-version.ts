/** The oldest Node.js keygate runs on: package.json "engines" says the same (a test compares them). */
export const MINIMUM_NODE = '20.19.0';

/** Why this Node.js cannot run keygate, or undefined when it can. Imports nothing: it runs first. */
export function unsupportedNode(version: string): string | undefined {
  const parts = (v: string) => v.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  const have = parts(version);
  const need = parts(MINIMUM_NODE);
  for (let i = 0; i < need.length; i++) {
    if ((have[i] ?? 0) > need[i]!) return undefined;
    if ((have[i] ?? 0) < need[i]!) {
      return `keygate needs Node.js ${MINIMUM_NODE} or later; this is Node.js ${version.replace(/^v/, '')}. Install a current LTS release, or run the container image.`;
    }
  }
  return undefined;
}
