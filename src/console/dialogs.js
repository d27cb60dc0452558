// The rename and revoke dialogs. Each acts on one key and changes its row in place (list.js).
// Revoking the key keygate itself uses takes a second, explained confirmation: without keygate's
// own key, every key of that account vanishes from the console and creating one fails.
import { PROVIDER_NAMES, deleteKey, isGatewayCredentialRefusal, updateHyperstackKey } from './api.js';
import { missing, showError, submitting } from './forms.js';
import { removeKey, replaceKey } from './list.js';
import { hint, time } from './view.js';
import { accountLabel, credentialSetting } from './viewer.js';

const $ = (id) => document.getElementById(id);
const renameDialog = $('rename-dialog');
const revokeDialog = $('revoke-dialog');
const gatewayPart = revokeDialog.querySelector('[data-gateway]');
const confirmGateway = revokeDialog.querySelector('[name="confirmGateway"]');
let target; // the key the open dialog is about

function openDialog(dialog, key) {
  target = key;
  showError(dialog.querySelector('form'), '');
  dialog.showModal();
}

export function openRename(key) {
  $('rename-name').value = key.name;
  $('rename-description').value = key.description ?? '';
  openDialog(renameDialog, key);
}

export function openRevoke(key) {
  revokeDialog.querySelector('[data-revoke-name]').textContent = key.name;
  for (const node of revokeDialog.querySelectorAll('[data-revoke-provider]')) node.textContent = PROVIDER_NAMES[key.provider];
  revokeDialog.querySelector('[data-revoke-account]').textContent = accountLabel(key.account);
  // Names (Octopus purposes) need not be unique: show what tells this key from another.
  revokeDialog.querySelector('[data-revoke-hint]').replaceChildren(hint(key));
  revokeDialog.querySelector('[data-revoke-created]').replaceChildren(key.createdAt ? time(key.createdAt) : 'unknown');
  showGatewayWarning(key);
  openDialog(revokeDialog, key);
  // The safe choice has the focus: Enter alone does not revoke.
  revokeDialog.querySelector('[data-close]').focus();
}

/** The second confirmation, for the key keygate uses (and only for it), unticked each time. */
function showGatewayWarning(key) {
  gatewayPart.hidden = !key.usedByGateway;
  confirmGateway.checked = false;
  revokeDialog.querySelector('[data-revoke-where]').textContent = `${PROVIDER_NAMES[key.provider]} account “${key.account.name}”`;
  revokeDialog.querySelector('[data-revoke-setting]').textContent = credentialSetting(key.account);
  revokeDialog.setAttribute('aria-describedby', key.usedByGateway ? 'revoke-text revoke-gateway-text' : 'revoke-text');
}

for (const dialog of [renameDialog, revokeDialog]) {
  dialog.querySelector('[data-close]').addEventListener('click', () => dialog.close());
  // Escape while a request runs would hide its outcome: wait for it instead.
  dialog.addEventListener('cancel', (event) => {
    if (dialog.querySelector('form').hasAttribute('aria-busy')) event.preventDefault();
  });
}

$('rename-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const name = form.elements.namedItem('name');
  if (missing(form, name, 'a name')) return;
  const key = target;
  const description = form.elements.namedItem('description').value.trim();
  const result = await submitting(form, () => updateHyperstackKey({ id: key.id, name: name.value.trim(), description }));
  if (!result) return;
  renameDialog.close();
  const renamed = result.data.updateHyperstackApiKey.apiKey;
  const row = replaceKey(renamed, renamed.name === key.name ? 'Saved.' : `Renamed from “${key.name}”.`);
  // The row was redrawn: put the focus back on its button, without moving the page.
  row?.querySelector('button[data-action="rename"]').focus({ preventScroll: true });
});

/** A revoke of a key that is no longer there: the list was stale, and the key is gone all the same. */
const alreadyGone = (errors) => errors.length === 1 && errors[0].extensions?.code === 'NOT_FOUND';

const UNCONFIRMED = 'This is the key keygate itself uses. To revoke it all the same, tick “Revoke it anyway”; otherwise, cancel.';

$('revoke-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const key = target;
  if (key.usedByGateway && !confirmGateway.checked) {
    showError(form, UNCONFIRMED);
    return confirmGateway.focus();
  }
  const confirmed = key.usedByGateway && confirmGateway.checked;
  const result = await submitting(
    form,
    () => deleteKey(key.id, { revokeGatewayCredential: confirmed }),
    (errors) => alreadyGone(errors) || (errors.length === 1 && isGatewayCredentialRefusal(errors[0])),
  );
  if (!result) return;
  if (result.errors.some(isGatewayCredentialRefusal)) {
    // The list did not know (it was read before keygate's key changed): the gateway did, and asks.
    key.usedByGateway = true;
    showGatewayWarning(key);
    showError(form, UNCONFIRMED);
    return confirmGateway.focus();
  }
  revokeDialog.close();
  const provider = PROVIDER_NAMES[key.provider];
  let confirmation = `Revoked “${key.name}” at ${provider}.`;
  if (result.errors.length > 0) confirmation = `“${key.name}” no longer exists at ${provider} (revoked elsewhere?), so it was removed from the list.`;
  else if (confirmed) confirmation += ` keygate cannot reach ${provider} account “${key.account.name}” until it is given a new key.`;
  removeKey(key.id, confirmation);
});
