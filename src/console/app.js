// The key console: lists the keys of every account at both providers and creates, renames, rotates
// and revokes them, and shows keygate's audit trail, through keygate's GraphQL API only. This module
// wires the page together.
import {
  PROVIDER_NAMES,
  createOctopusKey,
  describeError,
  describeMaybeCreated,
  generateHyperstackKey,
  listKeys,
  setAccessToken,
  whenTokenNeeded,
} from './api.js';
import { loadActivity } from './activity.js';
import { openRename, openRevoke } from './dialogs.js';
import { missing, showError, submitting } from './forms.js';
import { keyById, nextCursor, setBusy, showPage, showUnavailable, shownIds, whenStale } from './list.js';
import { currentOrder, whenOrderChanges } from './order.js';
import { openRotate } from './rotate.js';
import { showRotations } from './rotations.js';
import { hideSecrets, showSecret, whileMaking } from './secret.js';
import { el } from './view.js';
import { formAccount, setTokenNeeded, severalAccounts, showViewer } from './viewer.js';
import { whenViewShown } from './views.js';

const PAGE_SIZE = 100;
const SEARCH_DELAY_MS = 250;
/** How far this browser's clock and a provider's may disagree when a lost create's key is looked for. */
const CLOCK_MARGIN_MS = 15 * 60_000;

const $ = (id) => document.getElementById(id);
const tbody = $('keys').tBodies[0];
const notices = $('notices');
const searchInput = $('search');
const providerSelect = $('provider');
const accountSelect = $('account');
const usersSelect = $('octopus-users');
const quickFilters = document.querySelector('.quick-filters');

let listing; // the AbortController of the list request in flight
let firstRender = true;

/** The list's filter, from every control above it (only those in sight count). */
function filter() {
  const search = searchInput.value.trim();
  const [accountProvider, account] = accountSelect.value && severalAccounts() ? accountSelect.value.split('/') : [];
  const provider = accountProvider ?? providerSelect.value;
  const risk = quickFilters.querySelector('input:checked')?.value;
  const everyone = !usersSelect.closest('.field').hidden && usersSelect.value === 'ALL' && provider !== 'HYPERSTACK';
  return {
    search: search || null,
    providers: provider ? [provider] : null,
    accounts: account ? [account] : null,
    risks: risk ? [risk] : null,
    octopusUsers: everyone ? 'ALL' : null,
  };
}

/** The notices region is an alert: rewrite it only when its words change, so it is announced once. */
function showNotices(messages) {
  const current = [...notices.children].map((p) => p.textContent);
  if (current.join('\n') === messages.join('\n')) return;
  notices.replaceChildren(...messages.map((text) => el('p', { className: 'notice', text })));
}

const accountOf = (error) => error.extensions?.account ?? 'default';
/** An account for people: the provider, and the account's name unless it is the only (`default`) one. */
const place = ({ provider, name }) => (name === 'default' ? PROVIDER_NAMES[provider] : `${PROVIDER_NAMES[provider]} account “${name}”`);
const viewerAccount = (viewer, provider, name) => viewer?.accounts.find((a) => a.account.provider === provider && a.account.name === name);

/** The accounts whose keys are missing (older gateways name only providers). */
function unavailable(page) {
  return page?.unavailableAccounts ?? (page?.unavailableProviders ?? []).map((provider) => ({ provider, name: 'default' }));
}

/** What the list is missing, in words, each said once: the errors, plus any account left unexplained. */
function listProblems(data, errors) {
  const messages = withoutEchoes(errors).map((error) =>
    error.path?.[0] === 'rotations' ? `Rotations under way are not shown: ${describeError(error)}` : describeListError(error, data?.viewer),
  );
  for (const account of unavailable(data?.apiKeys)) {
    if (!errors.some((error) => error.extensions?.provider === account.provider && accountOf(error) === account.name)) {
      messages.push(`${place(account)} is unavailable: its keys are not shown.`);
    }
  }
  return [...new Set(messages)];
}

/**
 * The viewer's Octopus users wait on the same Octopus lookup as the list, so one failure comes back
 * twice: keep the list's error, which also says that keys are missing, and drop the viewer's copy.
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
  const { provider, code } = error.extensions ?? {};
  const name = PROVIDER_NAMES[provider];
  if (code === 'UNAUTHENTICATED' && name) {
    if (viewer?.providers.find((s) => s.provider === provider)?.hasCredential === false) return `${name} keys are not shown: keygate has no ${name} credential.`;
    if (viewerAccount(viewer, provider, accountOf(error))?.reachable === false) {
      return `${place({ provider, name: accountOf(error) })}: keys not shown, keygate has no credential for it.`;
    }
  }
  return describeError(error);
}

/** Why an account's keys are missing from the list, in a few words, for the summary under it. */
function whyMissing(account, errors, viewer) {
  const where = place(account);
  if (viewer?.providers.find((s) => s.provider === account.provider)?.hasCredential === false) return `keygate has no ${PROVIDER_NAMES[account.provider]} credential`;
  if (viewerAccount(viewer, account.provider, account.name)?.reachable === false) return `keygate has no credential for ${where}`;
  const error = errors.find((e) => e.extensions?.provider === account.provider && accountOf(e) === account.name);
  switch (error?.extensions.code) {
    case 'UPSTREAM_TIMEOUT':
      return `${where} did not answer in time`;
    case 'UNAUTHENTICATED':
      return `${where} did not accept keygate's credentials`;
    case 'RATE_LIMITED':
      return `${where} is limiting requests`;
    default:
      return `${where} is unavailable`;
  }
}

/**
 * Loads the first page (or, with `append`, the next one) in the chosen order. Old rows stay until
 * the new ones arrive, so the table does not jump; a newer request cancels an older one.
 */
async function loadKeys({ append = false, highlight } = {}) {
  listing?.abort();
  const controller = new AbortController();
  listing = controller;
  setBusy(true);
  const wanted = filter();
  let result;
  try {
    result = await listKeys({ first: PAGE_SIZE, after: append ? nextCursor() : null, filter: wanted, orderBy: currentOrder() }, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) return;
    throw error;
  }
  if (listing !== controller) return;
  setBusy(false);

  const { data, errors } = result;
  showNotices(listProblems(data, errors));
  // A filter named what can no longer be listed: it is back on everything, so list again.
  if (showViewer(data?.viewer)) return loadKeys({ highlight });
  const page = data?.apiKeys;
  // Before the rows: the rows of keys being replaced say so.
  if (data?.rotations) showRotations(data.rotations);
  if (!page) return showUnavailable();
  const missing = unavailable(page).map((account) => whyMissing(account, errors, data.viewer));
  const filtered = Boolean(wanted.search || wanted.providers || wanted.accounts || wanted.risks);
  showPage(page, { append, highlight, filtered, missing, columns: { account: severalAccounts(), owner: wanted.octopusUsers === 'ALL' } });
  if (firstRender) {
    firstRender = false;
    // For the browser test's timing: when the first rows were on screen.
    performance.mark('keygate:first-rows');
  }
}

// --- Access token (only when keygate's client authentication is on) ---------------------------------

const tokenForm = $('token-form');
whenTokenNeeded(() => {
  setTokenNeeded(true);
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

// --- Search, filters and order ---------------------------------------------------------------------

let searchTimer;
searchInput.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => void loadKeys(), SEARCH_DELAY_MS);
});
// An account belongs to one provider: choosing either keeps the other in step.
providerSelect.addEventListener('change', () => {
  if (accountSelect.value && !accountSelect.value.startsWith(`${providerSelect.value}/`)) accountSelect.value = '';
  void loadKeys();
});
accountSelect.addEventListener('change', () => {
  if (accountSelect.value) providerSelect.value = accountSelect.value.split('/')[0];
  void loadKeys();
});
usersSelect.addEventListener('change', () => void loadKeys());
quickFilters.addEventListener('change', () => void loadKeys());
whenOrderChanges(() => void loadKeys());
$('refresh').addEventListener('click', () => void loadKeys());
$('more').addEventListener('click', () => void loadKeys({ append: true }));

// --- Create --------------------------------------------------------------------------------------

/** The end of the chosen day in the reader's own time zone, as the API wants it (ISO with zone). */
function endOfDay(dateValue) {
  return new Date(`${dateValue}T23:59:59`).toISOString();
}

/**
 * A create whose outcome is unknown is no failure to retry blindly: the key may exist without its
 * secret. So is one whose answer was lost on the way (no connection, a proxy's error page) or that
 * keygate answered with a masked crash: the request may have reached the provider all the same.
 */
const unknownOutcome = (error) => error.extensions?.mayHaveCreated || error.extensions?.code === 'NETWORK' || error.extensions?.code === 'INTERNAL_SERVER_ERROR';
const maybeCreated = (errors) => errors.some(unknownOutcome);

/**
 * Sends a create with the form's account (where its provider has several), then shows the secret, or
 * says where to look when the provider may have made the key without its secret reaching anyone.
 */
async function create(form, provider, name, input, send) {
  const account = formAccount(form);
  if (account && missing(form, account, 'an account')) return;
  if (account) input.account = account.value;
  const before = shownIds();
  const sent = Date.now();
  const result = await submitting(form, () => whileMaking(() => send(input)), maybeCreated);
  if (!result) return;
  const payload = Object.values(result.data ?? {})[0];
  if (!payload) {
    const error = result.errors.find(unknownOutcome);
    showError(form, describeMaybeCreated({ ...error, extensions: { ...error.extensions, account: input.account } }, name));
    // Octopus purposes need not be unique: the one is a key of that name, provider and account that
    // was not on screen before the create, made around when it was sent (by this browser's clock,
    // which need not agree with the provider's: hence the wide margin).
    const made = (key) =>
      key.name === name &&
      key.provider === provider &&
      key.account.name === (input.account ?? 'default') &&
      !before.has(key.id) &&
      Math.abs(Date.parse(key.createdAt) - sent) <= CLOCK_MARGIN_MS;
    return loadKeys({ highlight: made });
  }
  // A new key's form starts empty, in the same account.
  form.reset();
  if (account) account.value = input.account;
  showSecret(payload, severalAccounts());
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
  await create(form, 'OCTOPUS', input.purpose, input, createOctopusKey);
});

$('create-hyperstack').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const name = form.elements.namedItem('name');
  if (missing(form, name, 'a name')) return;
  const description = form.elements.namedItem('description').value.trim();
  const input = { name: name.value.trim(), ...(description ? { description } : {}) };
  await create(form, 'HYPERSTACK', input.name, input, generateHyperstackKey);
});

// The date picker starts at tomorrow (in the reader's time zone): Octopus refuses an expiry in the past.
{
  const tomorrow = new Date();
  tomorrow.setDate(tomorrow.getDate() + 1);
  const pad = (n) => String(n).padStart(2, '0');
  $('octopus-expires').min = `${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() + 1)}-${pad(tomorrow.getDate())}`;
}

// --- Row actions -----------------------------------------------------------------------------------

tbody.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const key = keyById(button.closest('tr').dataset.id);
  if (!key) return;
  if (button.dataset.action === 'rename') openRename(key);
  else if (button.dataset.action === 'rotate') openRotate(key);
  else openRevoke(key);
});

// Leaving the secret on screen after the page is restored from the back/forward cache would show it twice.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) hideSecrets();
});

whenStale(() => void loadKeys());

// Each view loads when it is first shown; Activity loads afresh each time, to show what was just done.
let keysLoaded = false;
whenViewShown((view) => {
  if (view === 'activity') return void loadActivity();
  if (!keysLoaded) void loadKeys();
  keysLoaded = true;
});
