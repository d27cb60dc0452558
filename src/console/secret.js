// The panels that show new keys' secrets, once. Each create adds a panel, newest first, and each stays
// until its reader dismisses it: a second create never replaces a secret nobody has copied yet.
// A secret lives only in its panel's input: never in storage, the URL or a log; dismissing the panel
// and leaving the page are the end of it.
import { PROVIDER_NAMES } from './api.js';

const container = document.getElementById('secrets');
const template = document.getElementById('secret-template');
let panels = 0; // for unique ids

/** Asks before the page is left while a secret is on screen: it cannot be shown again. */
function warnBeforeLeaving(event) {
  event.preventDefault();
  event.returnValue = '';
}

let making = 0; // creates and rotations still waiting for their answer

function watchLeaving() {
  if (container.children.length > 0 || making > 0) window.addEventListener('beforeunload', warnBeforeLeaving);
  else window.removeEventListener('beforeunload', warnBeforeLeaving);
}

/**
 * Runs a create or a rotation, asking before the page is left meanwhile: the provider makes the key
 * whether or not this page is still there to receive its secret.
 */
export async function whileMaking(work) {
  making += 1;
  watchLeaving();
  try {
    return await work();
  } finally {
    making -= 1;
    watchLeaving();
  }
}

/** The Clipboard API where allowed (secure contexts); else the old selection-based copy. */
async function copy(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

/**
 * `withAccount`: a provider has several accounts here, so the panel says which one holds the key.
 * `note`: what else the reader should know (a rotation's: which key this replaces, and when that goes).
 */
export function showSecret({ secret, apiKey }, withAccount = false, note = []) {
  const panel = template.content.firstElementChild.cloneNode(true);
  const n = ++panels;
  const heading = panel.querySelector('[data-heading]');
  const input = panel.querySelector('[data-secret]');
  const copyButton = panel.querySelector('[data-copy]');
  const status = panel.querySelector('[data-copy-status]');
  heading.id = `secret-heading-${n}`;
  panel.setAttribute('aria-labelledby', heading.id);
  input.id = `secret-value-${n}`;
  panel.querySelector('[data-secret-label]').htmlFor = input.id;
  panel.querySelector('[data-secret-name]').textContent = apiKey.name;
  const provider = PROVIDER_NAMES[apiKey.provider] ?? apiKey.provider;
  panel.querySelector('[data-secret-provider]').textContent = withAccount ? `${provider} (account “${apiKey.account.name}”)` : provider;
  // With several panels, each button says whose secret it acts on.
  const whose = ` the secret of ${apiKey.name}`;
  copyButton.append(hidden(whose));
  input.value = secret;
  const noteLine = panel.querySelector('[data-secret-note]');
  noteLine.append(...note);
  noteLine.hidden = note.length === 0;

  copyButton.addEventListener('click', async () => {
    const copied = await copy(input);
    status.textContent = copied ? 'Copied to the clipboard.' : 'Could not copy: select the secret and press Ctrl+C (⌘C on a Mac).';
    if (!copied) input.select();
  });
  // Selecting the field selects all of it, so a manual copy gets the whole secret.
  input.addEventListener('focus', () => input.select());
  panel.querySelector('[data-done]').addEventListener('click', () => dismiss(panel));

  container.prepend(panel);
  watchLeaving();
  copyButton.focus();
}

function hidden(text) {
  const span = document.createElement('span');
  span.className = 'visually-hidden';
  span.textContent = text;
  return span;
}

/** Removes a panel (and its secret); the focus goes to the next secret, or back to the forms. */
function dismiss(panel) {
  panel.querySelector('[data-secret]').value = '';
  const next = panel.nextElementSibling ?? panel.previousElementSibling;
  panel.remove();
  watchLeaving();
  if (next) next.querySelector('[data-copy]').focus();
  else document.getElementById('create-heading').focus();
}

/** Drops every secret (the page came back from the back/forward cache: they were shown already). */
export function hideSecrets() {
  for (const input of container.querySelectorAll('[data-secret]')) input.value = '';
  container.replaceChildren();
  watchLeaving();
}
