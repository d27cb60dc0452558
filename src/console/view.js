// Builds the table's rows. Every piece of data goes in as textContent or an attribute, never as
// markup, so a key named `<img onerror=…>` is just text.
import { PROVIDER_NAMES } from './api.js';
import { RISKS, riskLabel } from './governance.js';

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
// The table shows the day; the time is in the title, and in the revoke dialog where it tells keys apart.
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** `document.createElement` with a class and text in one call. */
export function el(tag, { className, text } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  node.append(...children);
  return node;
}

/** A date in the reader's locale (with the time unless `dayOnly`), the exact ISO value on hover and for machines. */
export function time(iso, { dayOnly = false } = {}) {
  const node = el('time', { text: (dayOnly ? dateFormat : dateTimeFormat).format(new Date(iso)) });
  node.dateTime = iso;
  node.title = iso;
  return node;
}

/** How long ago, in the largest whole unit that fits ("3 hours ago", "yesterday", "4 months ago"). */
function ago(iso, now) {
  const node = time(iso);
  const seconds = (Date.parse(iso) - now) / 1000;
  const units = [['year', 730 * 86_400, 365 * 86_400], ['month', 60 * 86_400, 30 * 86_400], ['day', 2 * 86_400, 86_400], ['hour', 3_600, 3_600], ['minute', 60, 60]];
  const [unit, , size] = units.find(([, from]) => -seconds >= from) ?? ['second', 0, 1];
  node.textContent = unit === 'second' ? relative.format(0, 'second') : relative.format(Math.trunc(seconds / size), unit);
  return node;
}

function muted(text) {
  return el('span', { className: 'muted', text });
}

/** Octopus reveals the start of a secret, Hyperstack the end: show which part the hint is. */
export function hint(key) {
  if (!key.keyHint) return muted('—');
  const text = key.provider === 'OCTOPUS' ? `${key.keyHint}…` : `…${key.keyHint}`;
  return el('code', { text });
}

/** Last use: Hyperstack never says; Octopus says nothing for a key never used (or used before it kept track). */
function lastUsed(key, now) {
  if (key.lastUsedAt) return ago(key.lastUsedAt, now);
  return muted(key.provider === 'HYPERSTACK' ? 'not reported' : 'none recorded');
}

/**
 * What needs attention, in words (never by colour alone), and whether keygate itself uses the key:
 * revoking that one locks keygate out, so the row says so before anyone reaches for Revoke.
 */
function notes(key, now) {
  const list = el('ul', { className: 'risks' });
  if (key.usedByGateway) list.append(el('li', { className: 'tag gateway', text: 'Used by keygate' }));
  const risks = [...key.risks].sort((a, b) => RISKS.indexOf(a) - RISKS.indexOf(b));
  for (const risk of risks) {
    const badge = el('li', { className: `tag risk ${risk.toLowerCase().replace(/_/g, '-')}`, text: riskLabel(risk, key, now) });
    badge.dataset.risk = risk;
    list.append(badge);
  }
  return list.children.length > 0 ? list : muted('—');
}

function owner(key) {
  if (!key.owner) return muted(key.provider === 'OCTOPUS' ? 'unknown' : '—');
  const name = el('span', { text: key.owner.displayName || key.owner.username });
  name.title = `${key.owner.username} (${key.owner.id})`;
  return key.owner.isService ? el('span', {}, name, el('span', { className: 'muted service', text: 'service account' })) : name;
}

/** A button whose accessible name says which key it acts on ("Revoke terraform"). */
function action(label, key, actionName) {
  const button = el('button', { className: actionName === 'revoke' ? 'link danger' : 'link' }, label);
  button.type = 'button';
  button.dataset.action = actionName;
  button.append(el('span', { className: 'visually-hidden', text: ` ${key.name}` }));
  return button;
}

/** A cell with the label that a card (the narrow layout, where the column headers are hidden) shows before it. */
function cell(label, ...children) {
  const td = el('td', {}, ...children);
  td.dataset.label = label;
  return td;
}

/**
 * One key's row. `columns` says which optional columns the table shows: `account` (a provider has
 * several accounts) and `owner` (the list holds every Octopus user's keys).
 */
export function keyRow(key, { now = Date.now(), columns = {} } = {}) {
  const row = el('tr');
  row.dataset.id = key.id;
  row.dataset.provider = key.provider;
  const provider = el('span', { className: `badge ${key.provider.toLowerCase()}`, text: PROVIDER_NAMES[key.provider] ?? key.provider });
  const actions = el('td', { className: 'actions' });
  if (key.provider === 'HYPERSTACK') actions.append(action('Rename', key, 'rename'));
  actions.append(action('Revoke', key, 'revoke'));
  const name = el('th', { className: 'name', text: key.name });
  name.scope = 'row';
  // An Octopus key has no description, only its purpose (the name): give a long purpose both columns.
  const description = key.provider === 'OCTOPUS' && !key.description ? [] : [el('td', { className: 'description' }, key.description ? key.description : muted('—'))];
  if (description.length === 0) name.colSpan = 2;
  const account = el('span', { text: key.account.name });
  account.title = key.account.host;
  row.append(
    el('td', {}, provider),
    ...(columns.account ? [cell('Account', account)] : []),
    name,
    ...description,
    ...(columns.owner ? [cell('Owner', owner(key))] : []),
    cell('Created', key.createdAt ? time(key.createdAt, { dayOnly: true }) : muted('unknown')),
    cell('Expires', key.expiresAt ? time(key.expiresAt, { dayOnly: true }) : el('span', { text: 'Never' })),
    cell('Last used', lastUsed(key, now)),
    cell('Risks', notes(key, now)),
    cell('Hint', hint(key)),
    actions,
  );
  return row;
}
