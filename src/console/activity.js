// The Activity view: keygate's audit trail, newest first, a page at a time ("Show more events"),
// narrowed by action and by provider (the API's own filter, so paging goes on in the filtered trail).
// Codes are put into words; the trail holds hints only, never a secret. On a phone each event is a card.
import { describeError, listActivity } from './api.js';
import { cell, el, hint, muted, providerBadge } from './view.js';
import { outcome, who } from './words.js';

const PAGE_SIZE = 50;

/** Each operation the trail records, in words (also the Action filter's choices, in this order). */
const ACTIONS = {
  createOctopusApiKey: 'Created an Octopus key',
  generateHyperstackApiKey: 'Generated a Hyperstack key',
  updateHyperstackApiKey: 'Renamed a Hyperstack key',
  deleteApiKey: 'Revoked a key',
  rotateApiKey: 'Rotated a key',
  completeRotation: 'Completed a rotation',
  cancelRotation: 'Cancelled a rotation',
  revokeLeakedSecret: 'Revoked a leaked secret',
  scheduledRevoke: 'Revoked an old key on schedule',
  rotationRecovery: 'Settled a crashed rotation',
};

// Events come seconds apart: the time has them.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

const $ = (id) => document.getElementById(id);
const table = $('events');
const tbody = table.tBodies[0];
const operationSelect = $('activity-operation');
const providerSelect = $('activity-provider');
const notices = $('activity-notices');
const summary = $('activity-summary');
const moreButton = $('activity-more');

let loading; // the AbortController of the request in flight
let endCursor = null;
let shown = 0;

for (const [operation, words] of Object.entries(ACTIONS)) {
  const option = el('option', { text: words });
  option.value = operation;
  operationSelect.append(option);
}

function eventRow(event) {
  const row = el('tr');
  row.dataset.operation = event.operation;
  row.dataset.outcome = event.outcome;
  const at = el('time', { text: dateTime.format(new Date(event.at)) });
  at.dateTime = event.at;
  at.title = event.at;
  const action = el('th', { text: ACTIONS[event.operation] ?? event.operation });
  action.scope = 'row';
  let key = [muted(event.keyId ? 'name not recorded' : '—')];
  if (event.keyName || event.keyHint) key = [el('span', { text: event.keyName ?? '' }), ...(event.keyHint ? [' ', hint(event)] : [])];
  const account = event.account && event.account !== 'default' ? [el('span', { className: 'account', text: event.account })] : [];
  const where = event.provider ? [providerBadge(event.provider), ...account] : [muted('—')];
  const actor = el('span', { text: who(event.client) });
  actor.title = event.client;
  // keygate's own limits refuse before any provider is asked, although the event names the provider.
  const asked = event.detail === 'refused before it ran' ? undefined : event.provider;
  // Words first; the code stays at hand for the logs (in the title).
  const ended = el('span', { className: event.outcome === 'OK' ? 'outcome' : 'outcome failed', text: outcome(event.outcome, asked) });
  ended.title = event.outcome;
  // The request id finds the event's log line.
  const details = [event.detail ? el('span', { text: `${event.detail} ` }) : '', event.requestId ? el('span', { className: 'muted request', text: `request ${event.requestId}` }) : ''];
  // One element per cell: on a phone the cell is a label and one value side by side.
  row.append(
    cell('When', at),
    action,
    cell('Key', el('div', {}, ...key)),
    cell('Provider', el('div', {}, ...where)),
    cell('Who', actor),
    cell('Outcome', ended),
    cell('Details', el('div', {}, ...details)),
  );
  return row;
}

/** The notices region is an alert: rewrite it only when its words change, so it is announced once. */
function showNotices(messages) {
  if ([...notices.children].map((p) => p.textContent).join('\n') === messages.join('\n')) return;
  notices.replaceChildren(...messages.map((text) => el('p', { className: 'notice', text })));
}

function summaryText(filtered, more) {
  if (shown === 0) return filtered ? 'No events match the filter.' : 'Nothing has been done through keygate yet.';
  if (more) return `Showing the newest ${shown} events.`;
  return `${shown} ${shown === 1 ? 'event' : 'events'}, newest first.`;
}

/** Loads the newest events (or, with `append`, the next page); a newer request cancels an older one. */
export async function loadActivity({ append = false } = {}) {
  loading?.abort();
  const controller = new AbortController();
  loading = controller;
  table.setAttribute('aria-busy', 'true');
  const filter = { operation: operationSelect.value || null, provider: providerSelect.value || null };
  let result;
  try {
    result = await listActivity({ first: PAGE_SIZE, after: append ? endCursor : null, filter }, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) return;
    throw error;
  }
  if (loading !== controller) return;
  table.removeAttribute('aria-busy');
  const { data, errors } = result;
  showNotices(errors.map(describeError));
  const page = data?.auditEvents;
  if (!page) {
    summary.textContent = shown > 0 ? 'The activity could not be refreshed; the events below may be out of date.' : 'No activity could be loaded.';
    return;
  }
  const rows = page.nodes.map(eventRow);
  if (append) tbody.append(...rows);
  else tbody.replaceChildren(...rows);
  shown = append ? shown + rows.length : rows.length;
  endCursor = page.pageInfo.endCursor;
  moreButton.hidden = !page.pageInfo.hasNextPage;
  summary.textContent = summaryText(Boolean(filter.operation || filter.provider), page.pageInfo.hasNextPage);
  // The keyboard goes on from the first new event (the button may be gone).
  if (append && rows[0]) {
    rows[0].cells[0].tabIndex = -1;
    rows[0].cells[0].focus({ preventScroll: true });
  }
}

/** A new filter starts from its first page: the old filter's cursor must not page the new one. */
function filterChanged() {
  endCursor = null;
  moreButton.hidden = true;
  void loadActivity();
}
operationSelect.addEventListener('change', filterChanged);
providerSelect.addEventListener('change', filterChanged);
$('activity-refresh').addEventListener('click', () => void loadActivity());
moreButton.addEventListener('click', () => void loadActivity({ append: true }));
