// Label values of the inventory's gauges. A key's name is text a person typed at the provider: it
// is bounded, stripped of control characters, and anything that looks like a credential is cut
// out before it becomes a label. prom-client escapes what is left (\, " and newlines).
import { cutSecrets } from '../secret-shapes.js';

/** Longest label value the inventory writes, in characters. */
export const MAX_LABEL_LENGTH = 64;

/** An Octopus API key's secret: `API-` and (at least) 16 letters and digits; a hint is `API-` + 4. */
const OCTOPUS_SECRET = /API-[A-Z0-9]{16,}/gi;
// eslint-disable-next-line no-control-regex -- control characters are what it removes
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * A provider's text as a label value: no control characters, no secret-shaped run (the shapes the
 * store refuses, and an Octopus secret from 16 characters) and none of the gateway's own
 * credentials, at most MAX_LABEL_LENGTH characters (cut with `…`). `/metrics` answers without a
 * client token: a label is as public as the gateway's address.
 */
export function labelText(text: string, credentials: readonly string[] = []): string {
  let value = cutSecrets(text.replace(CONTROL, ' ').replace(OCTOPUS_SECRET, 'API-…'), '…');
  for (const credential of credentials) if (credential.length >= 8) value = value.split(credential).join('…');
  const chars = [...value.trim()];
  return chars.length > MAX_LABEL_LENGTH ? `${chars.slice(0, MAX_LABEL_LENGTH - 1).join('')}…` : chars.join('');
}
