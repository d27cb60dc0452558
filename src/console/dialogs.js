// The rename and revoke dialogs, and what every dialog of the console does alike. Each acts on one key
// and changes its row in place (list.js). Revoking (or rotating) the key keygate itself uses takes a
// second, explained confirmation: without keygate's own key, every key of that account vanishes from
// the console and creating one fails.
import { PROVIDER_NAMES, deleteKey, isGatewayCredentialRefusal, updateHyperstackKey } from './api.js';
import { missing, showError, submitting } from './forms.js';
import { removeKey, replaceKey } from './list.js';
import { hint, time } from './view.js';
import { accountLabel, credentialSetting } from './viewer.js';

const $ = (id) => document.getElementById(id);
const renameDialog = $('rename-dialog');
const revokeDialog = $('revoke-dialog');
let target; // the key the open rename or revoke dialog is about

/** Opens a modal dialog with its error line cleared; the safe choice (Cancel) takes the focus. */
export function openDialog(dialog) {
  showError(dialog.querySelector('form'), '');
  dialog.showModal();
  dialog.querySelector('[data-close]').focus();
}

/** Fills a dialog's `[data-fact]` fields about a key: its provider, account, hint and creation time. */
export function showFacts(dialog, key) {
  const fill = (name, make) => {
    for (const node of dialog.querySelectorAll(`[data-fact="${name}"]`)) node.replaceChildren(make());
  };
  fill('name', () => key.name);
  fill('provider', () => PROVIDER_NAMES[key.provider]);
  fill('account', () => (key.account ? accountLabel(key.account) : 'no longer configured'));
  // Names (Octopus purposes) need not be unique: show what tells this key from another.
  fill('hint', () => hint(key));
  fill('created', () => (key.createdAt ? time(key.createdAt) : 'unknown'));
}

/**
 * The second confirmation a dialog asks for the key keygate uses (and only for it): its
 * `[data-gateway]` part, which names the account and the setting that gives keygate a new key, and
 * a box to tick, unticked each time. `describedBy`: the dialog's description without it.
 */
export function gatewayConfirmation(dialog, describedBy, unconfirmedText) {
  const form = dialog.querySelector('form');
  const part = dialog.querySelector('[data-gateway]');
  const box = part.querySelector('input[type="checkbox"]');
  const show = (key) => {
    part.hidden = !key.usedByGateway;
    box.checked = false;
    part.querySelector('[data-where]').textContent = `${PROVIDER_NAMES[key.provider]} account “${key.account.name}”`;
    part.querySelector('[data-setting]').textContent = credentialSetting(key.account);
    dialog.setAttribute('aria-describedby', key.usedByGateway ? `${describedBy} ${part.querySelector('p').id}` : describedBy);
  };
  const ask = () => {
    showError(form, unconfirmedText);
    box.focus();
    return true;
  };
  return {
    show,
    /** Whether the reader ticked the box of a key keygate uses. */
    confirmed: (key) => key.usedByGateway && box.checked,
    /** Before sending: true (and the dialog asks) when the key is keygate's and the box is not ticked. */
    unconfirmed: (key) => key.usedByGateway && !box.checked && ask(),
    /** After: keygate refused a key the list did not mark as its own (it was read before keygate's key changed). */
    refused(key, errors) {
      if (!errors.some(isGatewayCredentialRefusal)) return false;
      key.usedByGateway = true;
      show(key);
      return ask();
    },
  };
}

export function openRename(key) {
  target = key;
  $('rename-name').value = key.name;
  $('rename-description').value = key.description ?? '';
  openDialog(renameDialog);
  $('rename-name').focus();
}

const revokeGate = gatewayConfirmation(
  revokeDialog,
  'revoke-text',
  'This is the key keygate itself uses. To revoke it all the same, tick “Revoke it anyway”; otherwise, cancel.',
);

export function openRevoke(key) {
  target = key;
  showFacts(revokeDialog, key);
  revokeGate.show(key);
  // The safe choice has the focus: Enter alone does not revoke.
  openDialog(revokeDialog);
}

for (const dialog of document.querySelectorAll('dialog')) {
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

$('revoke-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const key = target;
  if (revokeGate.unconfirmed(key)) return;
  const confirmed = revokeGate.confirmed(key);
  const result = await submitting(
    form,
    () => deleteKey(key.id, { revokeGatewayCredential: confirmed }),
    (errors) => alreadyGone(errors) || (errors.length === 1 && isGatewayCredentialRefusal(errors[0])),
  );
  if (!result || revokeGate.refused(key, result.errors)) return;
  revokeDialog.close();
  const provider = PROVIDER_NAMES[key.provider];
  let confirmation = `Revoked “${key.name}” at ${provider}.`;
  if (result.errors.length > 0) confirmation = `“${key.name}” no longer exists at ${provider} (revoked elsewhere?), so it was removed from the list.`;
  else if (confirmed) confirmation += ` keygate cannot reach ${provider} account “${key.account.name}” until it is given a new key.`;
  removeKey(key.id, confirmation);
});
