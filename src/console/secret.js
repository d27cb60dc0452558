// The panel that shows a new key's secret, once. The secret lives only in this input's value: never
// in storage, the URL or a log; "hide" and leaving the page are the end of it.
import { PROVIDER_NAMES } from './api.js';

const panel = document.getElementById('secret');
const input = document.getElementById('secret-value');
const copyButton = document.getElementById('secret-copy');
const status = panel.querySelector('[data-copy-status]');

/** Asks before the page is left while a secret is on screen: it cannot be shown again. */
function warnBeforeLeaving(event) {
  event.preventDefault();
  event.returnValue = '';
}

export function showSecret({ secret, apiKey }) {
  panel.querySelector('[data-secret-name]').textContent = apiKey.name;
  panel.querySelector('[data-secret-provider]').textContent = PROVIDER_NAMES[apiKey.provider] ?? apiKey.provider;
  input.value = secret;
  status.textContent = '';
  panel.hidden = false;
  window.addEventListener('beforeunload', warnBeforeLeaving);
  copyButton.focus();
}

export function hideSecret() {
  input.value = '';
  status.textContent = '';
  panel.hidden = true;
  window.removeEventListener('beforeunload', warnBeforeLeaving);
}

/** The Clipboard API where allowed (secure contexts); else the old selection-based copy. */
async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
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

copyButton.addEventListener('click', async () => {
  const copied = await copy(input.value);
  status.textContent = copied ? 'Copied to the clipboard.' : 'Could not copy: select the secret and press Ctrl+C (⌘C on a Mac).';
  if (!copied) input.select();
});

document.getElementById('secret-done').addEventListener('click', () => {
  hideSecret();
  document.getElementById('create-heading').focus();
});

// Selecting the field selects all of it, so a manual copy gets the whole secret.
input.addEventListener('focus', () => input.select());
