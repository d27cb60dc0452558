// Builds the table's rows. Every piece of data goes in as textContent or an attribute, never as
// markup, so a key named `<img onerror=…>` is just text.
import { PROVIDER_NAMES } from './api.js';

const DAY_MS = 86_400_000;
/** Octopus keys expiring within this many days are flagged. */
const SOON_DAYS = 14;

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** `document.createElement` with a class and text in one call. */
export function el(tag, { className, text } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  node.append(...children);
  return node;
}

/** A date in the reader's locale, with the exact ISO value on hover and for machines. */
export function time(iso) {
  const node = el('time', { text: dateFormat.format(new Date(iso)) });
  node.dateTime = iso;
  node.title = iso;
  return node;
}

function muted(text) {
  return el('span', { className: 'muted', text });
}

function expires(key, now) {
  // Every Hyperstack key, and a legacy Octopus key, never expires: a risk worth marking.
  if (!key.expiresAt) {
    const flag = el('span', { className: 'flag never', text: 'Never' });
    flag.title = 'This key never expires';
    return flag;
  }
  const cell = el('span', {}, time(key.expiresAt));
  const days = Math.ceil((Date.parse(key.expiresAt) - now) / DAY_MS);
  if (days <= 0) cell.append(' ', el('span', { className: 'flag expired', text: 'expired' }));
  else if (days <= SOON_DAYS) cell.append(' ', el('span', { className: 'flag soon', text: relative.format(days, 'day') }));
  return cell;
}

/** Octopus reveals the start of a secret, Hyperstack the end: show which part the hint is. */
export function hint(key) {
  if (!key.keyHint) return muted('—');
  const text = key.provider === 'OCTOPUS' ? `${key.keyHint}…` : `…${key.keyHint}`;
  return el('code', { text });
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

export function keyRow(key, now = Date.now()) {
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
  row.append(
    el('td', {}, provider),
    name,
    ...description,
    cell('Created', key.createdAt ? time(key.createdAt) : muted('unknown')),
    cell('Expires', expires(key, now)),
    cell('Hint', hint(key)),
    actions,
  );
  return row;
}
