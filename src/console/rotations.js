// The rotations under way, above the keys: one card each, saying in words where it stands and when
// the old key goes, with Complete (revoke the old key now, after a confirmation) and Cancel rotation
// (keep both keys). Each action changes its card, and the key rows it concerns, in place.
import { PROVIDER_NAMES, cancelRotation, completeRotation, describeError } from './api.js';
import { openDialog, showFacts } from './dialogs.js';
import { submitting } from './forms.js';
import { keyById, removeKey, setRotations } from './list.js';
import { reason, who } from './words.js';
import { action, el, hint, providerBadge, time } from './view.js';
import { severalAccounts } from './viewer.js';

const $ = (id) => document.getElementById(id);
const section = $('rotations');
const list = $('rotation-list');
const completeDialog = $('complete-dialog');

/** The rotations under way, by id, newest first. */
const live = new Map();
let signature = '';
let target; // the rotation the Complete dialog is about

/** Where a rotation stands, in a sentence or two (with times in the reader's locale). */
function stateWords(rotation) {
  const provider = PROVIDER_NAMES[rotation.provider];
  const error = rotation.lastError && reason(rotation.lastError, rotation.provider);
  switch (rotation.state) {
    case 'PENDING_CREATE':
      return error
        ? [`${provider} did not confirm the replacement (${error}). keygate is checking whether it was made: a key it finds is left for you to revoke if nobody holds its secret (see Activity), since it cannot tell it from one someone made after this answer. The old key stays as it is.`]
        : ['The replacement is being made.'];
    case 'NEEDS_ATTENTION':
      if (rotation.lastError === 'UNDELIVERED') {
        return ["Needs you: the replacement's secret never reached whoever asked for it (they left before keygate's answer), so keygate kept the old key. Revoke the replacement, then Cancel rotation keeps the old key (rotate it again after that, if you still want to)."];
      }
      if (rotation.lastError === 'OLD_KEY_IN_USE') {
        const when = rotation.oldKeyUsedAt ? [' (', time(rotation.oldKeyUsedAt), ')'] : [];
        return ['Needs you: the old key was used after the rotation began', ...when, ', so keygate did not revoke it. Complete revokes it anyway; Cancel rotation keeps both keys.'];
      }
      return [`Needs you: revoking the old key failed for good (${error}). Complete tries again now; Cancel rotation keeps both keys.`];
    default: // OVERLAP
      if (error) return [`Both keys work. Revoking the old key failed (${error}, attempt ${rotation.attempts}); keygate tries again.`];
      return ['Both keys work until ', time(rotation.revokeOldAt), '; then keygate revokes the old key.'];
  }
}

function fact(term, ...description) {
  return el('div', {}, el('dt', { text: term }), el('dd', {}, ...description));
}

function card(rotation) {
  const item = el('li', { className: 'rotation' });
  item.dataset.id = rotation.id;
  item.dataset.state = rotation.state;
  const account = severalAccounts() && rotation.account ? [el('span', { className: 'muted', text: ` account ${rotation.account.name}` })] : [];
  const name = rotation.oldKeyName;
  item.append(
    el('h3', {}, providerBadge(rotation.provider), ...account, ' ', el('span', { text: name })),
    el('p', { className: 'state' }, ...stateWords(rotation)),
    el(
      'dl',
      { className: 'facts' },
      fact('Old key', hint({ provider: rotation.provider, keyHint: rotation.oldKeyHint })),
      fact('Replacement', rotation.newKeyId ? hint({ provider: rotation.provider, keyHint: rotation.newKeyHint }) : el('span', { className: 'muted', text: 'not made yet' })),
      fact('Started', time(rotation.createdAt), ` by ${who(rotation.startedBy)}`),
    ),
  );
  // A replacement whose creation is unsettled can be neither completed nor cancelled (keygate settles it).
  if (rotation.state !== 'PENDING_CREATE') {
    item.append(
      el('div', { className: 'actions' }, action('Complete', `the rotation of ${name}`, 'complete', ''), action('Cancel rotation', `of ${name}`, 'cancel', '')),
    );
  }
  const problem = el('p', { className: 'form-error' });
  problem.setAttribute('role', 'alert');
  item.append(problem);
  return item;
}

/** Marks the key rows of the rotations under way, and shows the section only while it has something to say. */
function update() {
  setRotations([...live.values()], true);
  section.hidden = list.children.length === 0;
}

/**
 * The rotations under way, as the list's request read them (`page`: a RotationConnection). Drawn
 * again only when they changed, so a card's message and the focus survive each list request.
 */
export function showRotations(page) {
  const next = JSON.stringify(page.nodes);
  $('rotations-more').hidden = !page.pageInfo.hasNextPage;
  if (next === signature) return;
  signature = next;
  live.clear();
  for (const rotation of page.nodes) live.set(rotation.id, rotation);
  setRotations(page.nodes);
  list.replaceChildren(...page.nodes.map(card));
  section.hidden = live.size === 0;
}

/** A rotation just started here: on top, marked new. */
export function addRotation(rotation) {
  if (rotation.state === 'COMPLETED' || rotation.state === 'CANCELLED' || rotation.state === 'FAILED') return;
  live.set(rotation.id, rotation);
  const item = card(rotation);
  item.classList.add('new');
  list.prepend(item);
  update();
}

/**
 * A rotation after Complete or Cancel: still under way, its card is redrawn; settled, the card gives
 * way to `settled` (which takes the focus) and the old key's row follows (gone once revoked).
 */
function show(rotation, settled) {
  const item = list.querySelector(`li[data-id="${CSS.escape(rotation.id)}"]`);
  if (rotation.state === 'OVERLAP' || rotation.state === 'NEEDS_ATTENTION') {
    live.set(rotation.id, rotation);
    const next = card(rotation);
    next.classList.add('new');
    item?.replaceWith(next);
    next.querySelector('.state').tabIndex = -1;
    next.querySelector('.state').focus();
  } else {
    live.delete(rotation.id);
    const done = el('li', { className: 'rotation settled', text: settled });
    done.tabIndex = -1;
    item?.replaceWith(done);
    done.focus();
    if (rotation.state === 'COMPLETED') removeKey(rotation.oldKeyId, `Revoked “${rotation.oldKeyName}”: its rotation was completed.`, { focus: false });
  }
  update();
}

list.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  const rotation = button && live.get(button.closest('li').dataset.id);
  if (!rotation) return;
  if (button.dataset.action === 'complete') return openComplete(rotation);
  // Cancelling changes no key (both stay): no confirmation, but a busy button that says so.
  const item = button.closest('li');
  const problem = item.querySelector('.form-error');
  const buttons = [...item.querySelectorAll('button')];
  for (const b of buttons) b.disabled = true;
  item.setAttribute('aria-busy', 'true');
  button.firstChild.textContent = 'Cancelling…';
  problem.textContent = '';
  const { data, errors } = await cancelRotation(rotation.id);
  item.removeAttribute('aria-busy');
  if (!data?.cancelRotation) {
    for (const b of buttons) b.disabled = false;
    button.firstChild.textContent = 'Cancel rotation';
    problem.textContent = errors.map(describeError).join(' ');
    return button.focus();
  }
  show(data.cancelRotation, `Cancelled: “${rotation.oldKeyName}” and its replacement both stay. Revoke the old one yourself once nothing uses it.`);
});

function openComplete(rotation) {
  target = rotation;
  showFacts(completeDialog, { name: rotation.oldKeyName, provider: rotation.provider, keyHint: rotation.oldKeyHint, account: rotation.account });
  const warnings = [];
  if (rotation.lastError === 'OLD_KEY_IN_USE') warnings.push('It was used after the rotation began: something may still depend on it.');
  if (rotation.lastError === 'UNDELIVERED') warnings.push("Its replacement's secret reached no one: after this, nobody holds a working key of the two.");
  if (keyById(rotation.oldKeyId)?.usedByGateway) warnings.push('keygate itself uses it: revoking it locks keygate out of that account until it is given the new key.');
  const warning = completeDialog.querySelector('[data-in-use]');
  warning.textContent = warnings.join(' ');
  warning.hidden = warnings.length === 0;
  openDialog(completeDialog);
}

$('complete-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const rotation = target;
  const result = await submitting(event.currentTarget, () => completeRotation(rotation.id));
  if (!result) return;
  completeDialog.close();
  show(result.data.completeRotation, `Completed: “${rotation.oldKeyName}” is revoked; its replacement stays.`);
});
