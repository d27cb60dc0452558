// The table of keys: the pages shown so far, the lines above and under them, and the changes made in
// place after a rename or a revoke, so that the reader keeps the page, the scroll position and the focus.
import { riskSummary } from './governance.js';
import { orderPhrase } from './order.js';
import { el, keyRow } from './view.js';

const table = document.getElementById('keys');
const tbody = table.tBodies[0];
const summary = document.getElementById('summary');
const risksLine = document.getElementById('risk-summary');
const moreButton = document.getElementById('more');

/** The keys on screen, by global id, for the dialogs. */
const shown = new Map();
let total = 0;
let endCursor = null;
/** What the summary needs to know about the last list request. */
let context = { filtered: false, missing: [] };
/** Keys per risk over the whole filtered list (the first page's `summary`), kept up to date by revokes. */
let riskCounts = new Map();
/** The optional columns on screen: `account` and `owner`. */
let columns = {};
/** The rotations under way, by the global id of the key each replaces (see rotations.js). */
let rotating = new Map();

let reload = () => {};

/** What to do when the rows on screen can no longer be kept up to date in place: read the list again. */
export function whenStale(callback) {
  reload = callback;
}

export function stale() {
  reload();
}

export function keyById(id) {
  return shown.get(id);
}

/** The ids of the keys on screen now. */
export function shownIds() {
  return new Set(shown.keys());
}

/** Where the next page starts (after the last key shown). */
export function nextCursor() {
  return endCursor;
}

export function setBusy(busy) {
  if (busy) table.setAttribute('aria-busy', 'true');
  else table.removeAttribute('aria-busy');
}

/** Shows or hides the optional columns; with `redraw`, the rows already drawn follow. */
function setColumns(next, redraw) {
  if (['account', 'owner'].every((name) => Boolean(next[name]) === Boolean(columns[name]))) return;
  columns = { ...next };
  for (const node of table.querySelectorAll('[data-optional]')) node.hidden = !columns[node.dataset.optional];
  table.classList.toggle('with-account', Boolean(columns.account));
  table.classList.toggle('with-owner', Boolean(columns.owner));
  if (redraw) for (const row of tbody.querySelectorAll('tr[data-id]')) row.replaceWith(draw(shown.get(row.dataset.id)));
}

/**
 * Draws a page of keys: the first (replacing what is shown) or, with `append`, the next one, which
 * takes the focus to its first row so the keyboard goes on from there (the button may be gone).
 * `highlight`: the id of a key to mark as new, or a test of which keys to mark.
 * `filtered`: a search or filter is on. `missing`: why some accounts' keys could not be listed.
 */
export function showPage(page, { append = false, highlight, filtered = false, missing = [], columns: wanted = {} } = {}) {
  setColumns(wanted, append);
  if (!append) shown.clear();
  const now = Date.now();
  const rows = page.nodes.map((key) => {
    shown.set(key.id, key);
    const row = draw(key, now);
    if (typeof highlight === 'function' ? highlight(key) : key.id === highlight) row.classList.add('new');
    return row;
  });
  if (append) tbody.append(...rows);
  else tbody.replaceChildren(...rows);
  total = page.totalCount;
  endCursor = page.pageInfo.endCursor;
  moreButton.hidden = !page.pageInfo.hasNextPage;
  context = { filtered, missing };
  if (page.summary) riskCounts = new Map(page.summary.byRisk.map(({ risk, count }) => [risk, count]));
  showSummaries();
  if (append && rows[0]) focusQuietly(rows[0].cells[1]);
}

/** The list request failed as a whole: keep the rows, and say that they may be stale. */
export function showUnavailable() {
  summary.textContent = shown.size > 0 ? 'The list could not be refreshed; the keys below may be out of date.' : 'No keys could be loaded.';
}

function showSummaries() {
  summary.textContent = summaryText();
  risksLine.textContent = riskSummary(riskCounts, total);
}

function summaryText() {
  if (total === 0) {
    // Say why (an account is down, or has no credential), not that nothing matched.
    if (context.missing.length > 0) return `No keys shown: ${context.missing.join('; ')}.`;
    return context.filtered ? 'No keys match the search or filter.' : 'No keys yet.';
  }
  const count = shown.size;
  const noun = total === 1 ? 'key' : 'keys';
  return count < total ? `Showing ${count} of ${total} ${noun}, ${orderPhrase()}.` : `${total} ${noun}, ${orderPhrase()}.`;
}

function rowOf(id) {
  return tbody.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
}

/** Focuses a row's cell (focusable by script only) without moving the page. */
function focusQuietly(cell) {
  cell.tabIndex = -1;
  cell.focus({ preventScroll: true });
}

function draw(key, now = Date.now()) {
  return keyRow(key, { now, columns, rotation: rotating.get(key.id) });
}

/**
 * The rotations under way (`rotations`: each with `oldKeyId`), so that the rows of the keys they
 * replace say so. With `redraw`, the rows on screen follow at once.
 */
export function setRotations(rotations, redraw = false) {
  const before = rotating;
  rotating = new Map(rotations.map((rotation) => [rotation.oldKeyId, rotation]));
  if (!redraw) return;
  for (const id of new Set([...before.keys(), ...rotating.keys()])) {
    if (before.get(id) === rotating.get(id) || !shown.has(id)) continue;
    rowOf(id)?.replaceWith(draw(shown.get(id)));
  }
}

/**
 * A changed key (renamed, or being replaced): its row is redrawn where it is, with the confirmation
 * (if any) beside its buttons.
 */
export function replaceKey(key, confirmation) {
  const old = rowOf(key.id);
  if (!old) return undefined;
  // A rename's answer has no owner (it never changes): keep the one the list read.
  const merged = { ...shown.get(key.id), ...key };
  shown.set(key.id, merged);
  const row = draw(merged);
  row.classList.add('new');
  if (confirmation) row.querySelector('td.actions').prepend(el('p', { className: 'done', text: confirmation }));
  old.replaceWith(row);
  return row;
}

/** A new key (a rotation's replacement) goes in just above the key it replaces, where the reader acted. */
export function insertKey(key, beforeId) {
  const next = rowOf(beforeId);
  if (!next || shown.has(key.id)) return;
  shown.set(key.id, key);
  const row = draw(key);
  row.classList.add('new');
  next.before(row);
  total += 1;
  for (const risk of key.risks) riskCounts.set(risk, (riskCounts.get(risk) ?? 0) + 1);
  showSummaries();
}

/**
 * A revoked (or already gone) key: its row gives way to the confirmation, which takes the focus
 * (unless `focus` is false: something more urgent has it), so nothing moves and the reader sees what
 * happened where they acted. The counts lose it too.
 */
export function removeKey(id, confirmation, { focus = true } = {}) {
  const old = rowOf(id);
  const key = shown.get(id);
  if (!shown.delete(id) || !old) return;
  total -= 1;
  for (const risk of key.risks) riskCounts.set(risk, Math.max(0, (riskCounts.get(risk) ?? 0) - 1));
  const cell = el('td', { text: confirmation });
  cell.colSpan = [...table.tHead.rows[0].cells].filter((th) => !th.hidden).length;
  const row = el('tr', { className: 'gone' }, cell);
  old.replaceWith(row);
  if (focus) focusQuietly(cell);
  showSummaries();
}
