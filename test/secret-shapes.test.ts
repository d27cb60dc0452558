// The shapes of secrets the store refuses and /metrics labels cut: where a secret may sit in text.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cutSecrets, secretShape } from '../src/secret-shapes.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl';
const OCTOPUS = `API-${'A1'.repeat(13)}`;

describe('secret shapes', () => {
  it.each([
    ['alone', JWT],
    ['after a space', `Bearer ${JWT}`],
    ['after =', `token=${JWT}`],
    ['after _', `token_${JWT}`],
    ['after -', `ci-${JWT}`],
    ['after digits', `123${JWT}`],
    ['after a URL-encoded space', `Bearer%20${JWT}`],
    ['after a JSON escape', `{"log":"line\\n${JWT}"}`],
  ])('finds a JWT %s, and cuts it whole', (_where, text) => {
    expect(secretShape(text)).toBe('a JSON Web Token');
    expect(cutSecrets(text, '…')).not.toContain('eyJzdWIi');
  });

  it('finds Octopus and Hyperstack keys; in an identifier a UUID is taken for one, the others are not', () => {
    const uuid = randomUUID();
    expect(secretShape(`key ${OCTOPUS}`)).toBe('an Octopus API key');
    expect(secretShape(`key ${uuid}`)).toBe('a Hyperstack API key');
    expect(secretShape(`jwt:${uuid}`, { identifier: true })).toBeUndefined();
    expect(secretShape(`jwt:${JWT}`, { identifier: true })).toBe('a JSON Web Token');
    expect(secretShape(OCTOPUS, { identifier: true })).toBe('an Octopus API key');
  });

  it('leaves hints alone', () => {
    expect(secretShape('API-ABCD')).toBeUndefined();
    expect(secretShape('…1a2b')).toBeUndefined();
  });
});
