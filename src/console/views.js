// The console's two views, Keys and Activity, on one page. The address names the view (`#activity`),
// so a view can be linked, reloaded and left with Back; switching keeps the other view as it was (a
// secret not yet stored stays on the Keys view, and leaving the page still asks first).
const TITLES = { keys: 'API keys · keygate', activity: 'Activity · keygate' };

const links = [...document.querySelectorAll('.masthead a[data-view]')];
const skipLink = document.querySelector('.skip-link');
let current;
let onShow = () => {};

function show({ focus }) {
  const name = location.hash === '#activity' ? 'activity' : 'keys';
  if (name === current) return;
  current = name;
  for (const view of document.querySelectorAll('main > [data-view]')) view.hidden = view.dataset.view !== name;
  for (const link of links) {
    if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  // The skip link jumps past the create forms, which only the Keys view has.
  skipLink.hidden = name !== 'keys';
  document.title = TITLES[name];
  // A screen reader hears where it landed; on the first view the page itself does that.
  if (focus) document.querySelector(`main > [data-view="${name}"] h1`).focus();
  onShow(name);
}

/** Calls `callback` with the name of each view as it is shown, starting with the one the address names. */
export function whenViewShown(callback) {
  onShow = callback;
  show({ focus: false });
}

window.addEventListener('hashchange', () => show({ focus: true }));
