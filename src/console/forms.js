// What every form of the console does alike: a busy state that says what is happening, errors in
// words next to the form, and errors that go stale as soon as the reader does something else.
import { describeError } from './api.js';

const FORMS = [...document.querySelectorAll('form')].filter((form) => form.querySelector('[data-error]'));

/** An error is about one attempt: a new action anywhere, or an edit of the form, makes it old news. */
function clearErrors() {
  for (const form of FORMS) form.querySelector('[data-error]').textContent = '';
}
for (const form of FORMS) form.addEventListener('input', () => (form.querySelector('[data-error]').textContent = ''));
for (const form of FORMS) form.addEventListener('submit', clearErrors, { capture: true });

export function showError(form, text) {
  form.querySelector('[data-error]').textContent = text;
}

/**
 * Runs `work` with the form's controls disabled, showing its errors in the form. Resolves to the
 * result on success, or when `expected(errors)` says the errors are an outcome the caller handles.
 */
export async function submitting(form, work, expected = () => false) {
  showError(form, '');
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
      showError(form, errors.map(describeError).join(' '));
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
export function missing(form, input, what) {
  if (input.value.trim()) return false;
  showError(form, `Please ${input.tagName === 'SELECT' ? 'choose' : 'enter'} ${what}.`);
  input.focus();
  return true;
}
