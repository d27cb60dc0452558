// The Rotate dialog: replaces a key without an outage. keygate mints the replacement (its secret is
// shown once, in the same panel as a create's), both keys work for the overlap chosen here, then
// keygate revokes the old one. The rows change in place: the replacement goes in above the old key,
// whose row says when it goes (or gives way at once, with no overlap).
import { PROVIDER_NAMES, describeError, getKey, rotateKey } from './api.js';
import { gatewayConfirmation, openDialog, showFacts } from './dialogs.js';
import { showError, submitting } from './forms.js';
import { insertKey, removeKey, replaceKey, stale } from './list.js';
import { addRotation } from './rotations.js';
import { showSecret, whileMaking } from './secret.js';
import { hint, time } from './view.js';
import { credentialSetting, severalAccounts } from './viewer.js';

const DAY_MS = 86_400_000;
/** The overlap a rotation starts with: a working day for whatever uses the key to move. */
const DEFAULT_OVERLAP = '86400';

const dialog = document.getElementById('rotate-dialog');
const form = document.getElementById('rotate-form');
const gate = gatewayConfirmation(
  dialog,
  'rotate-text',
  'This is the key keygate itself uses. To rotate it all the same, tick “Rotate it anyway”; otherwise, cancel.',
);
let target; // the key the dialog is about

/** What the replacement will be like, as the gateway makes it (see README, Rotation). */
function how(key) {
  if (key.provider === 'HYPERSTACK') {
    return `Hyperstack names are unique, so this key is first renamed aside, to “${key.name} (rotated …)”, and the new key takes its name, “${key.name}”, and its description.`;
  }
  if (!key.expiresAt || !key.createdAt) return 'The new key gets the same purpose. This key never expires, so the new one gets the server’s default lifetime.';
  const days = Math.round((Date.parse(key.expiresAt) - Date.parse(key.createdAt)) / DAY_MS);
  // Octopus refuses more than 366 days by default: the gateway then asks for the server's longest.
  if (days > 366) return `The new key gets the same purpose, and the longest lifetime the server allows (this key’s ${days} days are more than most servers allow).`;
  return `The new key gets the same purpose and the same lifetime, ${days} days, counted from now.`;
}

export function openRotate(key) {
  target = key;
  showFacts(dialog, key);
  dialog.querySelector('[data-how]').textContent = how(key);
  form.elements.namedItem('overlap').value = DEFAULT_OVERLAP;
  gate.show(key);
  openDialog(dialog);
}

const uncertain = (error) => error.extensions?.mayHaveCreated;
const alreadyRotating = (error) => error.extensions?.code === 'CONFLICT' && !error.extensions.provider;
/** keygate's own verdict (a code of its own, not a lost connection or a masked crash): it did not rotate. */
const decided = (error) => error.extensions?.code && error.extensions.code !== 'NETWORK' && error.extensions.code !== 'INTERNAL_SERVER_ERROR';

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = target;
  if (gate.unconfirmed(key)) return;
  const overlap = Number(form.elements.namedItem('overlap').value);
  // Every failure is said below, with what it means for the key.
  const send = () => rotateKey(key.id, overlap, { revokeGatewayCredential: gate.confirmed(key) });
  const result = await submitting(form, () => whileMaking(send), () => true);
  if (!result || gate.refused(key, result.errors)) return;
  const payload = result.data?.rotateApiKey;
  if (payload) {
    dialog.close();
    return rotated(key, payload, result.errors);
  }
  const errors = result.errors;
  if (errors.some(uncertain) || errors.some(alreadyRotating)) {
    const provider = PROVIDER_NAMES[key.provider];
    showError(
      form,
      errors.some(uncertain)
        ? `${provider} did not confirm the replacement of “${key.name}”: it may have been made, and its secret reached no one. keygate looks for it and revokes it, and leaves “${key.name}” working; the rotation under way says when that is done. Rotate it again after that.`
        : `“${key.name}” is already being rotated: see “Rotations under way”.`,
    );
    return stale();
  }
  const said = errors.map(describeError).join(' ');
  if (!errors.every(decided)) {
    // The answer was lost: the replacement may exist with a secret nobody saw, and the old key may
    // be due to go. Reload, so the rows and "Rotations under way" show what really happened.
    showError(
      form,
      `${said} Whether “${key.name}” was rotated is unknown. If a rotation of it now shows under “Rotations under way”, its new secret never reached you: cancel that rotation (both keys stay), then revoke the replacement.`,
    );
    return stale();
  }
  // Hyperstack renames the old key aside first, and back when the new one cannot be made: check that it is.
  const now = key.provider === 'HYPERSTACK' ? (await getKey(key.id)).data?.apiKey : undefined;
  if (now && now.name !== key.name) {
    replaceKey(now);
    return showError(form, `${said} “${key.name}” was not rotated, but it kept the name “${now.name}”: rename it back.`);
  }
  showError(form, `${said} “${key.name}” was not rotated: nothing changed.`);
});

/**
 * keygate's own key was replaced: the secret is the one place that says what to do with it, since
 * keygate goes on using the old key (its configured credential) until someone changes the setting.
 */
function gatewayNote(old, revoked) {
  if (!old.usedByGateway) return [];
  const where = `${PROVIDER_NAMES[old.provider]} account “${old.account.name}”`;
  return revoked
    ? [` keygate used it for ${where}, and cannot reach it until it is given this secret (${credentialSetting(old.account)}).`]
    : [` keygate uses it for ${where}: give keygate this secret (${credentialSetting(old.account)}) before then.`];
}

/** The secret first (it is shown once), then the rows and the rotation, in place. */
/** A rotation done: its secret, and any failure after the replacement was made (`problems`, said beside it). */
function rotated(old, { secret, apiKey, rotation, oldKeyRevokesAt }, problems = []) {
  const revoked = rotation.state === 'COMPLETED';
  let when = ['keeps working until ', time(oldKeyRevokesAt), '.'];
  if (revoked) when = ['is revoked.'];
  else if (problems.length > 0) when = ['is not settled yet. ', problems.map(describeError).join(' ')];
  else if (rotation.lastError) when = ['could not be revoked yet: see “Rotations under way”.'];
  showSecret({ secret, apiKey }, severalAccounts(), [`This replaces the key with hint `, hint(old), ', which ', ...when, ...gatewayNote(old, revoked)]);
  insertKey(apiKey, old.id);
  if (revoked) {
    removeKey(old.id, `Rotated: “${old.name}” is revoked; its replacement is above.`, { focus: false });
    return;
  }
  addRotation(rotation);
  replaceKey(old, 'Replaced by the key above.');
  // Hyperstack renamed the old key aside: its row reads the name it has now.
  if (old.provider === 'HYPERSTACK') {
    void getKey(old.id).then(({ data }) => data?.apiKey && replaceKey(data.apiKey, 'Renamed aside; replaced by the key above.'));
  }
}
