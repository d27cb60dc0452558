// The list's order: one column at a time, chosen by its header's button, with aria-sort on the header.
// The gateway sorts (orderBy), so every page of a long list follows the order, and its cursors
// belong to it: a new order starts again from the first page.

export const DEFAULT_ORDER = { field: 'CREATED_AT', direction: 'DESC' };

/** Which way a column sorts at the first press: what a reader most likely wants from it. */
const FIRST_DIRECTION = { NAME: 'ASC', CREATED_AT: 'DESC', EXPIRES_AT: 'ASC', LAST_USED_AT: 'DESC' };

// Keys without a value (no expiry, no recorded use) come last either way (the gateway's rule).
const PHRASES = {
  CREATED_AT: { DESC: 'newest first', ASC: 'oldest first' },
  NAME: { ASC: 'by name, A to Z', DESC: 'by name, Z to A' },
  EXPIRES_AT: { ASC: 'soonest expiry first', DESC: 'latest expiry first' },
  LAST_USED_AT: { DESC: 'most recently used first', ASC: 'least recently used first' },
};

const buttons = [...document.querySelectorAll('#keys thead button[data-sort]')];
let order = DEFAULT_ORDER;

export function currentOrder() {
  return order;
}

/** The order in words, for the line under the table ("6 keys, newest first."). */
export function orderPhrase() {
  return PHRASES[order.field][order.direction];
}

/** A press on a column's header: that column in its first direction, or the other way round. */
function pressed(field) {
  if (order.field !== field) return { field, direction: FIRST_DIRECTION[field] };
  return { field, direction: order.direction === 'ASC' ? 'DESC' : 'ASC' };
}

/** Calls `onChange` with each new order, after marking it on the headers. */
export function whenOrderChanges(onChange) {
  for (const button of buttons) {
    button.addEventListener('click', () => {
      order = pressed(button.dataset.sort);
      markHeaders();
      onChange(order);
    });
  }
  markHeaders();
}

function markHeaders() {
  for (const button of buttons) {
    const th = button.closest('th');
    if (button.dataset.sort === order.field) th.setAttribute('aria-sort', order.direction === 'ASC' ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
}
