// The key console: lists keys from both providers and creates, renames and revokes them, through
// keygate's GraphQL API only.
import {
  PROVIDER_NAMES,
  createOctopusKey,
  deleteKey,
  describeError,
  generateHyperstackKey,
  listKeys,
  setAccessToken,
  updateHyperstackKey,
  whenTokenNeeded,
} from './api.js';
import { keyById, nextCursor, removeKey, replaceKey, setBusy, showPage, showUnavailable } from './list.js';
import { hideSecrets, showSecret } from './secret.js';
import { el, hint, time } from './view.js';

const PAGE_SIZE = 100;
const SEARCH_DELAY_MS = 250;

const $ = (id) => document.getElementById(id);
const tbody = $('keys').tBodies[0];
const notices = $('notices');
const searchInput = $('search');
const providerSelect = $('provider');

let listing; // the AbortController of the list request in flight
let firstRender = true;

function filter() {
  const search = searchInput.value.trim();
  const provider = providerSelect.value;
  return { search: search || null, providers: provider ? [provider] : null };
}

/** The notices region is an alert: rewrite it only when its words change, so it is announced once. */
function showNotices(messages) {
  const current = [...notices.children].map((p) => p.textContent);
  if (current.join('\n') === messages.join('\n')) return;
  notices.replaceChildren(...messages.map((text) => el('p', { className: 'notice', text })));
}

/** What the list is missing, in words, each said once: the errors, plus any provider left unexplained. */
function listProblems(data, errors) {
  const messages = withoutEchoes(errors).map((error) => describeListError(error, data?.viewer));
  for (const provider of data?.apiKeys?.unavailableProviders ?? []) {
    if (!errors.some((error) => error.extensions?.provider === provider)) {
      messages.push(`${PROVIDER_NAMES[provider]} is unavailable: its keys are not shown.`);
    }
  }
  return [...new Set(messages)];
}

/**
 * `viewer.octopusUser` waits on the same Octopus lookup as the list, so one failure comes back twice:
 * keep the list's error, which also says that keys are missing, and drop the viewer's copy.
 */
function withoutEchoes(errors) {
  const isViewer = (error) => error.path?.[0] === 'viewer';
  const listed = new Set(errors.filter((error) => !isViewer(error)).map((error) => error.extensions?.provider));
  return errors.filter((error) => {
    const provider = error.extensions?.provider;
    return !isViewer(error) || !provider || !listed.has(provider);
  });
}

/** Without a credential there is nothing for the provider to refuse: say what is missing instead. */
function describeListError(error, viewer) {
  const provider = error.extensions?.provider;
  const status = viewer?.providers.find((s) => s.provider === provider);
  if (status && !status.hasCredential && error.extensions.code === 'UNAUTHENTICATED') {
    return `${PROVIDER_NAMES[provider]} keys are not shown: keygate has no ${PROVIDER_NAMES[provider]} credential.`;
  }
  return describeError(error);
}

/** Why a provider's keys are missing from the list, in a few words, for the summary under it. */
function whyMissing(provider, errors, viewer) {
  const name = PROVIDER_NAMES[provider];
  if (viewer?.providers.find((s) => s.provider === provider)?.hasCredential === false) return `keygate has no ${name} credential`;
  switch (errors.find((error) => error.extensions?.provider === provider)?.extensions.code) {
    case 'UPSTREAM_TIMEOUT':
      return `${name} did not answer in time`;
    case 'UNAUTHENTICATED':
      return `${name} did not accept keygate's credentials`;
    case 'RATE_LIMITED':
      return `${name} is limiting requests`;
    default:
      return `${name} is unavailable`;
  }
}

// --- What the gateway serves, and as whom (viewer) -----------------------------------------------------

/** Each provider's create form, its hint line, and the gateway setting that gives it a credential. */
const CREATE_FORMS = {
  OCTOPUS: { form: $('create-octopus'), hint: $('octopus-unavailable'), setting: 'OCTOPUS_API_KEY' },
  HYPERSTACK: { form: $('create-hyperstack'), hint: $('hyperstack-unavailable'), setting: 'HYPERSTACK_API_KEY' },
};

/** What the last answer said about each provider (viewer.providers), and whether keygate wants a token. */
let providerStatus = [];
let tokenNeeded = false;

/**
 * Fits the page to the gateway, so nobody fills in a form that can only fail: a provider it does not
 * serve disappears from the forms and the filter; one it has no credential for keeps its form in
 * sight, switched off, with the reason, and leaves the filter (it has no keys to list). True when
 * that took the filter off a provider.
 */
function showViewer(viewer) {
  if (!viewer) return false; // the request failed as a whole: keep what is on screen
  providerStatus = viewer.providers;
  tokenNeeded = false; // the request got through
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
  showForms();
  showOctopusUser(viewer.octopusUser);
  // The intro names only the providers this keygate serves.
  const served = viewer.providers.filter((s) => s.configured).map((s) => PROVIDER_NAMES[s.provider] ?? s.provider);
  if (served.length > 0) $('lede-providers').textContent = served.join(' and ');
  return filterChanged;
}

/** Each create form: hidden for a provider keygate does not serve, off (saying why) when it can only fail. */
function showForms() {
  for (const [provider, parts] of Object.entries(CREATE_FORMS)) {
    const status = providerStatus.find((s) => s.provider === provider);
    if (status) parts.form.hidden = !status.configured;
    let reason = '';
    if (tokenNeeded) reason = 'Enter the access token under “Access token” first.';
    else if (status?.configured && !status.hasCredential) reason = `No ${PROVIDER_NAMES[provider]} credential: set ${parts.setting} on the gateway.`;
    switchForm(parts, reason);
  }
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

/** Whose Octopus keys are listed: the user behind the Octopus credential. */
function showOctopusUser(user) {
  const note = $('octopus-user');
  note.textContent = user ? `Octopus keys of ${user.displayName || user.username} (${user.id})` : '';
  note.hidden = !user;
}

/**
 * Loads the first page (or, with `append`, the next one). Old rows stay until the new ones arrive,
 * so the table does not jump; a newer request cancels an older one.
 */
async function loadKeys({ append = false, highlight } = {}) {
  listing?.abort();
  const controller = new AbortController();
  listing = controller;
  setBusy(true);
  let result;
  try {
    result = await listKeys({ first: PAGE_SIZE, after: append ? nextCursor() : null, filter: filter() }, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) return;
    throw error;
  }
  if (listing !== controller) return;
  setBusy(false);

  const { data, errors } = result;
  showNotices(listProblems(data, errors));
  // The filter named a provider that can no longer be listed: it is back on all providers, so list again.
  if (showViewer(data?.viewer)) return loadKeys({ highlight });
  const page = data?.apiKeys;
  if (!page) return showUnavailable();
  const { search, providers } = filter();
  const missing = (page.unavailableProviders ?? []).map((provider) => whyMissing(provider, errors, data.viewer));
  showPage(page, { append, highlight, filtered: Boolean(search || providers), missing });
  if (firstRender) {
    firstRender = false;
    // For the browser test's timing: when the first rows were on screen.
    performance.mark('keygate:first-rows');
  }
}

// --- Access token (only when keygate's client authentication is on) ---------------------------------

const tokenForm = $('token-form');
whenTokenNeeded(() => {
  tokenNeeded = true;
  showForms();
  if (!tokenForm.hidden) return;
  tokenForm.hidden = false;
  $('access-token').focus();
});
tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('access-token');
  if (!input.value.trim()) return input.focus();
  setAccessToken(input.value.trim());
  input.value = '';
  tokenForm.hidden = true;
  void loadKeys();
});

// --- Search and filter -----------------------------------------------------------------------------

let searchTimer;
searchInput.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => void loadKeys(), SEARCH_DELAY_MS);
});
providerSelect.addEventListener('change', () => void loadKeys());
$('refresh').addEventListener('click', () => void loadKeys());
$('more').addEventListener('click', () => void loadKeys({ append: true }));

// --- Forms: busy state and errors ------------------------------------------------------------------

const FORMS = [...document.querySelectorAll('form')].filter((form) => form.querySelector('[data-error]'));

/** An error is about one attempt: a new action anywhere, or an edit of the form, makes it old news. */
function clearErrors() {
  for (const form of FORMS) form.querySelector('[data-error]').textContent = '';
}
for (const form of FORMS) form.addEventListener('input', () => (form.querySelector('[data-error]').textContent = ''));
for (const form of FORMS) form.addEventListener('submit', clearErrors, { capture: true });

/**
 * Runs `work` with the form's controls disabled, showing its errors in the form. Resolves to the
 * result on success, or when `expected(errors)` says the errors are an outcome the caller handles.
 */
async function submitting(form, work, expected = () => false) {
  const error = form.querySelector('[data-error]');
  error.textContent = '';
  const controls = [...form.elements];
  const focused = document.activeElement;
  for (const control of controls) control.disabled = true;
  form.setAttribute('aria-busy', 'true');
  // The button says what is happening ("Creating…"), not only looks dimmed.
  const button = form.querySelector('button[type="submit"]');
  const label = button.textContent;
  button.textContent = button.dataset.busyLabel;
  try {
    const result = await work();
    const { data, errors } = result;
    if (errors.length > 0 && expected(errors)) return result;
    if (errors.length > 0 || !data) {
      error.textContent = errors.map(describeError).join(' ');
      return undefined;
    }
    return result;
  } finally {
    // Back on, unless the gateway said meanwhile that this form can only fail.
    for (const control of controls) control.disabled = form.hasAttribute('data-unavailable');
    form.removeAttribute('aria-busy');
    button.textContent = label;
    // Disabling dropped the focus; give it back unless something else took it meanwhile.
    if (document.activeElement === document.body && focused instanceof HTMLElement) focused.focus();
  }
}

/** A required field left empty: say so next to it instead of asking the server. */
function missing(form, input, what) {
  if (input.value.trim()) return false;
  form.querySelector('[data-error]').textContent = `Please enter ${what}.`;
  input.focus();
  return true;
}

// --- Create --------------------------------------------------------------------------------------

/** The end of the chosen day in the reader's own time zone, as the API wants it (ISO with zone). */
function endOfDay(dateValue) {
  return new Date(`${dateValue}T23:59:59`).toISOString();
}

async function created(form, payload) {
  form.reset();
  showSecret(payload);
  await loadKeys({ highlight: payload.apiKey.id });
}

$('create-octopus').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const purpose = form.elements.namedItem('purpose');
  if (missing(form, purpose, 'what the key is for')) return;
  const input = { purpose: purpose.value.trim() };
  const expires = form.elements.namedItem('expires').value;
  if (expires) input.expiresAt = endOfDay(expires);
  const result = await submitting(form, () => createOctopusKey(input));
  if (result) await created(form, result.data.createOctopusApiKey);
});

$('create-hyperstack').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const name = form.elements.namedItem('name');
  if (missing(form, name, 'a name')) return;
  const description = form.elements.namedItem('description').value.trim();
  const input = { name: name.value.trim(), ...(description ? { description } : {}) };
  const result = await submitting(form, () => generateHyperstackKey(input));
  if (result) await created(form, result.data.generateHyperstackApiKey);
});

// The date picker starts at tomorrow (in the reader's time zone): Octopus refuses an expiry in the past.
{
  const tomorrow = new Date();
  tomorrow.setDate(tomorrow.getDate() + 1);
  const pad = (n) => String(n).padStart(2, '0');
  $('octopus-expires').min = `${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() + 1)}-${pad(tomorrow.getDate())}`;
}

// --- Rename and revoke dialogs ---------------------------------------------------------------------

const renameDialog = $('rename-dialog');
const revokeDialog = $('revoke-dialog');
let target; // the key the open dialog is about

function openDialog(dialog, key) {
  target = key;
  dialog.querySelector('[data-error]').textContent = '';
  dialog.showModal();
}

tbody.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const key = keyById(button.closest('tr').dataset.id);
  if (!key) return;
  if (button.dataset.action === 'rename') {
    $('rename-name').value = key.name;
    $('rename-description').value = key.description ?? '';
    openDialog(renameDialog, key);
  } else {
    revokeDialog.querySelector('[data-revoke-name]').textContent = key.name;
    for (const node of revokeDialog.querySelectorAll('[data-revoke-provider]')) node.textContent = PROVIDER_NAMES[key.provider];
    // Names (Octopus purposes) need not be unique: show what tells this key from another.
    revokeDialog.querySelector('[data-revoke-hint]').replaceChildren(hint(key));
    revokeDialog.querySelector('[data-revoke-created]').replaceChildren(key.createdAt ? time(key.createdAt) : 'unknown');
    openDialog(revokeDialog, key);
    // The safe choice has the focus: Enter alone does not revoke.
    revokeDialog.querySelector('[data-close]').focus();
  }
});

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

$('revoke-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const key = target;
  const result = await submitting(form, () => deleteKey(key.id), alreadyGone);
  if (!result) return;
  revokeDialog.close();
  const provider = PROVIDER_NAMES[key.provider];
  removeKey(
    key.id,
    result.errors.length > 0
      ? `“${key.name}” no longer exists at ${provider} (revoked elsewhere?), so it was removed from the list.`
      : `Revoked “${key.name}” at ${provider}.`,
  );
});

// Leaving the secret on screen after the page is restored from the back/forward cache would show it twice.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) hideSecrets();
});

void loadKeys();
