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
import { hideSecret, showSecret } from './secret.js';
import { el, keyRow } from './view.js';

const PAGE_SIZE = 100;
const SEARCH_DELAY_MS = 250;

const $ = (id) => document.getElementById(id);
const tbody = $('keys').tBodies[0];
const summary = $('summary');
const notices = $('notices');
const moreButton = $('more');
const searchInput = $('search');
const providerSelect = $('provider');

/** The keys on screen, by global id, for the dialogs. */
const shown = new Map();
let endCursor = null;
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

/** What the list is missing, in words: the errors naming a provider, plus any provider left unexplained. */
function listProblems(data, errors) {
  const messages = errors.map(describeError);
  for (const provider of data?.apiKeys?.unavailableProviders ?? []) {
    if (!errors.some((error) => error.extensions?.provider === provider)) {
      messages.push(`${PROVIDER_NAMES[provider]} is unavailable: its keys are not shown.`);
    }
  }
  return messages;
}

/**
 * Loads the first page (or, with `append`, the next one). Old rows stay until the new ones arrive,
 * so the table does not jump; a newer request cancels an older one.
 */
async function loadKeys({ append = false, highlight } = {}) {
  listing?.abort();
  const controller = new AbortController();
  listing = controller;
  $('keys').setAttribute('aria-busy', 'true');
  let result;
  try {
    result = await listKeys({ first: PAGE_SIZE, after: append ? endCursor : null, filter: filter() }, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) return;
    throw error;
  }
  if (listing !== controller) return;
  $('keys').removeAttribute('aria-busy');

  const { data, errors } = result;
  showNotices(listProblems(data, errors));
  const page = data?.apiKeys;
  if (!page) {
    summary.textContent = shown.size > 0 ? 'The list could not be refreshed; the keys below may be out of date.' : 'No keys could be loaded.';
    return;
  }
  if (!append) shown.clear();
  const now = Date.now();
  const rows = page.nodes.map((key) => {
    shown.set(key.id, key);
    const row = keyRow(key, now);
    if (key.id === highlight) row.classList.add('new');
    return row;
  });
  if (append) tbody.append(...rows);
  else tbody.replaceChildren(...rows);
  endCursor = page.pageInfo.endCursor;
  moreButton.hidden = !page.pageInfo.hasNextPage;
  summary.textContent = summaryText(shown.size, page.totalCount);
  if (firstRender) {
    firstRender = false;
    // For the browser test's timing: when the first rows were on screen.
    performance.mark('keygate:first-rows');
  }
}

function summaryText(count, total) {
  const filtered = filter().search || filter().providers;
  if (total === 0) return filtered ? 'No keys match the search or filter.' : 'No keys yet.';
  const noun = total === 1 ? 'key' : 'keys';
  return count < total ? `Showing ${count} of ${total} ${noun}, newest first.` : `${total} ${noun}, newest first.`;
}

// --- Access token (only when keygate's client authentication is on) ---------------------------------

const tokenForm = $('token-form');
whenTokenNeeded(() => {
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
moreButton.addEventListener('click', () => void loadKeys({ append: true }));

// --- Forms: busy state and errors ------------------------------------------------------------------

/** Runs `work` with the form's controls disabled, showing its errors in the form; its data on success. */
async function submitting(form, work) {
  const error = form.querySelector('[data-error]');
  error.textContent = '';
  const controls = [...form.elements];
  const focused = document.activeElement;
  for (const control of controls) control.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try {
    const { data, errors } = await work();
    if (errors.length > 0 || !data) {
      error.textContent = errors.map(describeError).join(' ');
      return undefined;
    }
    return data;
  } finally {
    for (const control of controls) control.disabled = false;
    form.removeAttribute('aria-busy');
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
  const data = await submitting(form, () => createOctopusKey(input));
  if (data) await created(form, data.createOctopusApiKey);
});

$('create-hyperstack').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const name = form.elements.namedItem('name');
  if (missing(form, name, 'a name')) return;
  const description = form.elements.namedItem('description').value.trim();
  const input = { name: name.value.trim(), ...(description ? { description } : {}) };
  const data = await submitting(form, () => generateHyperstackKey(input));
  if (data) await created(form, data.generateHyperstackApiKey);
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
  const key = shown.get(button.closest('tr').dataset.id);
  if (!key) return;
  if (button.dataset.action === 'rename') {
    $('rename-name').value = key.name;
    $('rename-description').value = key.description ?? '';
    openDialog(renameDialog, key);
  } else {
    revokeDialog.querySelector('[data-revoke-name]').textContent = key.name;
    revokeDialog.querySelector('[data-revoke-provider]').textContent = PROVIDER_NAMES[key.provider];
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
  const data = await submitting(form, () => updateHyperstackKey({ id: key.id, name: name.value.trim(), description }));
  if (!data) return;
  renameDialog.close();
  await loadKeys({ highlight: key.id });
  // The row was rebuilt: put the focus back where it was.
  tbody.querySelector(`tr[data-id="${CSS.escape(key.id)}"] button[data-action="rename"]`)?.focus();
});

$('revoke-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const key = target;
  const data = await submitting(form, () => deleteKey(key.id));
  if (!data) return;
  revokeDialog.close();
  // Its row (and the focused button) is about to go: keep the focus on the list.
  $('keys-heading').focus();
  await loadKeys();
  summary.textContent = `Revoked “${key.name}” at ${PROVIDER_NAMES[key.provider]}. ${summary.textContent}`;
});

// Leaving the secret on screen after the page is restored from the back/forward cache would show it twice.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) hideSecret();
});

void loadKeys();
