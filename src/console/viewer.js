// Fits the page to the gateway, from the `viewer` that comes with every list: the providers and
// accounts it serves and whether each can act (so nobody fills in a form that can only fail), whose
// Octopus keys are listed, and the policy behind the risk badges.
import { PROVIDER_NAMES } from './api.js';
import { setPolicy } from './governance.js';
import { el } from './view.js';

const $ = (id) => document.getElementById(id);
const providerSelect = $('provider');
const accountSelect = $('account');
const usersSelect = $('octopus-users');

/** Each provider's create form, its hint line, and the gateway setting that gives it a credential. */
const CREATE_FORMS = {
  OCTOPUS: { form: $('create-octopus'), hint: $('octopus-unavailable'), setting: 'OCTOPUS_API_KEY' },
  HYPERSTACK: { form: $('create-hyperstack'), hint: $('hyperstack-unavailable'), setting: 'HYPERSTACK_API_KEY' },
};

/** What the last answer said: each provider (viewer.providers) and each account (viewer.accounts). */
let providerStatus = [];
let accounts = [];
let tokenNeeded = false;

const accountsOf = (provider) => accounts.filter((a) => a.account.provider === provider);

/**
 * Whether some provider has several accounts here. Only then do the keys, the filter and the forms
 * name accounts: with one account per provider, the provider says it all.
 */
export function severalAccounts() {
  return Object.keys(PROVIDER_NAMES).some((provider) => accountsOf(provider).length > 1);
}

/** An account for people: its name, and where it is. */
export function accountLabel(account) {
  return `${account.name} (${account.host})`;
}

/** What a gateway setting gives an account its credential: the variable for `default`, else its KEYGATE_CONFIG entry. */
export function credentialSetting(account) {
  return account.name === 'default' ? `set ${CREATE_FORMS[account.provider].setting} on the gateway` : `its entry in KEYGATE_CONFIG`;
}

/** The chosen account of a create form, or undefined where its provider has only one. */
export function formAccount(form) {
  const field = form.querySelector('[data-account-field]');
  return field.hidden ? undefined : field.querySelector('select');
}

export function setTokenNeeded(needed) {
  tokenNeeded = needed;
  showForms();
}

/**
 * Shows what the gateway said. A provider it does not serve disappears from the forms and the
 * filters; one it has no credential for keeps its form in sight, switched off, with the reason, and
 * leaves the filters (it has no keys to list). True when that took a filter off what it was on.
 */
export function showViewer(viewer) {
  if (!viewer) return false; // the request failed as a whole: keep what is on screen
  providerStatus = viewer.providers;
  accounts = viewer.accounts;
  tokenNeeded = false; // the request got through
  setPolicy(viewer.policy);
  let filterChanged = false;
  for (const { provider, configured, hasCredential } of viewer.providers) {
    const option = [...providerSelect.options].find((o) => o.value === provider);
    if (!option) continue;
    option.hidden = !configured || !hasCredential;
    option.disabled = option.hidden;
    if (option.disabled && option.selected) {
      providerSelect.value = '';
      filterChanged = true;
    }
  }
  if (showAccountFilter()) filterChanged = true;
  showForms();
  showOctopusUsers();
  // The intro names only the providers this keygate serves.
  const served = viewer.providers.filter((s) => s.configured).map((s) => PROVIDER_NAMES[s.provider] ?? s.provider);
  if (served.length > 0) $('lede-providers').textContent = served.join(' and ');
  return filterChanged;
}

function option(value, text) {
  const node = el('option', { text });
  node.value = value;
  return node;
}

/** Redraws a select's options only when they change, so a choice and an open menu survive each list. True when the choice went. */
function fillSelect(select, signature, options) {
  if (select.dataset.signature === signature) return false;
  select.dataset.signature = signature;
  const value = select.value;
  select.replaceChildren(...options);
  select.value = value;
  if (select.value === value) return false;
  select.value = '';
  return true;
}

/** The account filter, grouped by provider: the accounts keygate can list, values `PROVIDER/name`. */
function showAccountFilter() {
  accountSelect.closest('.field').hidden = !severalAccounts();
  const listable = accounts.filter((a) => a.reachable);
  const groups = Object.entries(PROVIDER_NAMES).flatMap(([provider, name]) => {
    const own = listable.filter((a) => a.account.provider === provider);
    if (own.length === 0) return [];
    const group = el('optgroup', {}, ...own.map(({ account }) => option(`${provider}/${account.name}`, account.name)));
    group.label = name;
    return [group];
  });
  const signature = JSON.stringify(listable.map((a) => [a.account.provider, a.account.name]));
  return fillSelect(accountSelect, signature, [option('', 'All accounts'), ...groups]);
}

/** Each create form: hidden for a provider keygate does not serve, off (saying why) when it can only fail. */
function showForms() {
  for (const [provider, parts] of Object.entries(CREATE_FORMS)) {
    const status = providerStatus.find((s) => s.provider === provider);
    if (status) parts.form.hidden = !status.configured;
    showFormAccounts(provider, parts.form);
    let reason = '';
    if (tokenNeeded) reason = 'Enter the access token under “Access token” first.';
    else if (status?.configured && !status.hasCredential) reason = `No ${PROVIDER_NAMES[provider]} credential: set ${parts.setting} on the gateway.`;
    switchForm(parts, reason);
  }
}

/** A provider with several accounts: its form asks which one (an account without a credential cannot be chosen). */
function showFormAccounts(provider, form) {
  const own = accountsOf(provider);
  const field = form.querySelector('[data-account-field]');
  field.hidden = own.length < 2;
  const options = own.map(({ account, reachable }) => {
    const node = option(account.name, `${accountLabel(account)}${reachable ? '' : ': no credential'}`);
    node.disabled = !reachable;
    return node;
  });
  fillSelect(field.querySelector('select'), JSON.stringify(own), [option('', 'Choose an account'), ...options]);
}

function switchForm({ form, hint }, reason) {
  const off = Boolean(reason);
  hint.textContent = reason;
  hint.hidden = !off;
  form.toggleAttribute('data-unavailable', off);
  for (const control of form.elements) {
    if (off) control.setAttribute('aria-describedby', hint.id);
    else control.removeAttribute('aria-describedby');
    // A form that is submitting re-enables its controls itself when done (see `submitting`).
    if (!form.hasAttribute('aria-busy')) control.disabled = off;
  }
}

/**
 * Whose Octopus keys are listed: the user behind each Octopus account's credential, or (chosen in
 * "Octopus keys of") every user and service account of the instance.
 */
function showOctopusUsers() {
  const octopus = accountsOf('OCTOPUS').filter((a) => a.octopusUser);
  const field = usersSelect.closest('.field');
  field.hidden = octopus.length === 0;
  const self = usersSelect.querySelector('[data-self]');
  self.textContent = octopus.length === 1 ? octopus[0].octopusUser.displayName || octopus[0].octopusUser.username : 'Each account’s user';
  const note = $('octopus-user');
  const who = ({ account, octopusUser: user }) =>
    `${user.displayName || user.username} (${user.id})${octopus.length > 1 ? ` at “${account.name}”` : ''}`;
  const everyone = !field.hidden && usersSelect.value === 'ALL';
  note.textContent = everyone ? 'Octopus keys of every user and service account' : octopus.length > 0 ? `Octopus keys of ${octopus.map(who).join(', ')}` : '';
  note.hidden = !note.textContent;
}

/** The user scope changed: the note follows at once (the list follows when it arrives). */
usersSelect.addEventListener('change', showOctopusUsers);
