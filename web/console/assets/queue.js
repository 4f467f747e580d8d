// The queue pane: the views (Mine, New, Active, Completed, All), their
// order, a filter over what is listed, and My Support Requests' counts.
import { api, el, fmtTime } from './common.js';
import { $, VIEWS, availability, state, statusLabel } from './state.js';

let hooks = { open: () => {}, close: () => {}, attention: () => {} };

export function initQueue(h) {
  hooks = h;
  const fromHash = location.hash.slice(1);
  state.view = VIEWS.includes(fromHash) ? fromHash : 'mine';
  document.querySelector('.views').addEventListener('click', (e) => {
    const a = e.target.closest('a[data-view]');
    if (!a) return;
    e.preventDefault();
    setView(a.dataset.view);
  });
  $('sort').value = state.sort;
  $('sort').addEventListener('change', () => {
    state.sort = $('sort').value;
    // Times read newest first; names and numbers from the top.
    state.desc = state.sort === 'updated' || state.sort === 'created';
    showOrder();
    loadQueue();
  });
  $('sort-dir').addEventListener('click', () => {
    state.desc = !state.desc;
    showOrder();
    loadQueue();
  });
  $('search').addEventListener('input', () => {
    state.filter = $('search').value.trim().toLowerCase();
    renderQueue(false);
  });
  $('requests').addEventListener('click', (e) => {
    const li = e.target.closest('li[data-id]');
    if (!li) return;
    if (e.target.closest('[data-row-close]')) {
      hooks.close(li.dataset.id, rowByID(li.dataset.id));
      return;
    }
    hooks.open(li.dataset.id, { focus: true });
  });
  $('more').addEventListener('click', () => loadQueue({ more: true }));
}

// A first choice for a technician with nothing of their own: what waits.
export function defaultView() {
  if (VIEWS.includes(location.hash.slice(1))) return;
  if (state.mine.length === 0) state.view = availability() === 'available' ? 'new' : 'all';
}

function rowByID(id) {
  return state.rows.find((r) => r.id === id) || state.mine.find((r) => r.id === id);
}

let queueSeq = 0;

export async function loadQueue({ keep = false, more = false } = {}) {
  const seq = ++queueSeq;
  const q = new URLSearchParams({ view: state.view, sort: state.sort, desc: state.desc ? 'true' : 'false' });
  if (more) q.set('after', state.next);
  else q.set('limit', String(keep ? Math.min(200, Math.max(50, state.rows.length)) : 50));
  try {
    const page = await api('GET', '/console/api/requests?' + q);
    if (seq !== queueSeq) return; // a newer load is on its way
    state.rows = more ? state.rows.concat(page.requests) : page.requests;
    state.next = page.next_page || '';
    renderQueue(keep || more);
  } catch (err) {
    if (seq !== queueSeq) return;
    state.rows = [];
    state.next = '';
    renderQueue(false, err.message);
  }
}

// viewNote is the one sentence a view needs beyond its rows.
function viewNote() {
  const a = availability();
  if (a !== 'available' && (state.view === 'new' || state.view === 'all')) {
    return `You are ${a}: New requests are hidden. Set your status to Available to see and take them.`;
  }
  return '';
}

const emptyText = {
  mine: 'Nothing is yours right now. Requests you take or are invited to stay here until they are closed or you leave them.',
  new: 'No request is waiting. New ones appear here as customers write.',
  active: 'No request is being worked on.',
  completed: 'No closed requests yet.',
  all: 'No requests yet.',
};

function matches(r) {
  if (!state.filter) return true;
  const hay = [String(r.number), r.company, r.customer_email, r.customer_name, r.subject, r.preview, r.owner]
    .filter(Boolean).join(' ').toLowerCase();
  return state.filter.split(/\s+/).every((w) => hay.includes(w.replace(/^#/, '')));
}

// label is how a request is named in lists and titles: with its company
// when the desk serves more than one, since numbers repeat across them.
export function label(r, manyCompanies) {
  return manyCompanies ? `${r.company} #${r.number}` : `#${r.number}`;
}

export function manyCompanies(rows) {
  return new Set(rows.map((r) => r.company_id)).size > 1;
}

export function renderQueue(flash, error = '') {
  const list = $('requests');
  const seen = state.known;
  state.known = new Set(state.rows.map((r) => r.id));
  const rows = state.rows.filter(matches);
  const many = manyCompanies(state.rows);
  // Rows whose text and marks are unchanged are kept, not redrawn: the row
  // a technician is on keeps its focus (j/k) and a click in flight lands.
  const old = new Map([...list.children].map((li) => [li.dataset.id, li]));
  const focused = list.contains(document.activeElement) ? document.activeElement.closest('li')?.dataset.id : null;
  const nodes = rows.map((r) => {
    const fresh = !!(flash && seen && !seen.has(r.id));
    const sig = JSON.stringify([r, many, state.view, r.id === state.openId, fresh, new Date().toDateString()]);
    const prev = old.get(r.id);
    if (prev && prev.dataset.sig === sig) return prev;
    const li = rowItem(r, many, fresh);
    li.dataset.sig = sig;
    return li;
  });
  nodes.forEach((n, i) => {
    if (list.children[i] !== n) list.insertBefore(n, list.children[i] || null);
  });
  while (list.children.length > nodes.length) list.lastElementChild.remove();
  // A redrawn row takes the focus its old self had.
  if (focused && !list.contains(document.activeElement)) {
    [...list.children].find((li) => li.dataset.id === focused)?.querySelector('.row-main')?.focus({ preventScroll: true });
  }
  $('more').hidden = !state.next;
  showOrder();
  for (const a of document.querySelectorAll('.views a[data-view]')) {
    if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const note = viewNote();
  $('view-note').hidden = !note;
  $('view-note').textContent = note;
  const empty = $('queue-empty');
  empty.hidden = rows.length > 0;
  empty.textContent = error || (state.rows.length ? 'Nothing in this view matches the filter.' : (note ? '' : emptyText[state.view]));
  if (!empty.textContent) empty.hidden = true;
}

// rowItem draws one request of the list.
function rowItem(r, many, fresh) {
  const unread = r.unread || 0;
  const who = r.customer_name || r.customer_email || 'Customer';
  const li = el('li', {
    class: ['row', r.id === state.openId ? 'selected' : '', unread ? 'unread' : '', fresh ? 'fresh' : ''].filter(Boolean).join(' '),
    dataset: { id: r.id, number: r.number, status: r.status },
  },
  el('button', { type: 'button', class: 'row-main', 'aria-current': r.id === state.openId ? 'true' : null, 'aria-label': `${label(r, many)}, ${statusLabel[r.status] || r.status}, ${who}${unread ? `, ${unread} unread` : ''}` },
    el('span', { class: 'row-top' },
      el('span', { class: 'row-num' }, label(r, many)),
      el('span', { class: `badge ${r.status}` }, statusLabel[r.status] || r.status),
      r.role === 'collaborator' ? el('span', { class: 'tag' }, 'invited') : null,
      el('time', { class: 'row-time', datetime: r.updated_at, title: 'Last activity ' + new Date(r.updated_at).toLocaleString() }, fmtTime(r.updated_at))),
    el('span', { class: 'row-who', title: r.customer_email || '' }, who,
      r.owner && state.view !== 'mine' ? el('span', { class: 'row-owner' }, ' · ' + r.owner) : null),
    el('span', { class: 'row-preview' }, r.preview ? (r.preview_author_kind === 'technician' ? 'Technician: ' : '') + r.preview : (r.subject || ''))),
  unread ? el('span', { class: 'unread-count', title: `${unread} unread`, 'aria-hidden': 'true' }, String(unread)) : null,
  r.customer_left ? el('span', { class: 'row-left' }, el('span', { class: 'tag warn' }, 'Customer left'),
    (r.actions || []).includes('close') ? el('button', { type: 'button', class: 'btn small', dataset: { rowClose: '1' } }, 'Close…') : null) : null);
  return li;
}

// showOrder shows the list's order on its controls.
function showOrder() {
  $('sort').value = state.sort;
  const dir = $('sort-dir');
  dir.textContent = state.desc ? '↓' : '↑';
  dir.setAttribute('aria-label', state.desc ? 'Descending; choose to reverse' : 'Ascending; choose to reverse');
}

export function setView(view) {
  state.view = view;
  state.known = null;
  history.replaceState(null, '', location.pathname + location.search + '#' + view);
  loadQueue();
}

// markSelected shows which row is open without reloading the list.
export function markSelected() {
  for (const li of $('requests').children) {
    const on = li.dataset.id === state.openId;
    li.classList.toggle('selected', on);
    li.querySelector('.row-main')?.setAttribute('aria-current', on ? 'true' : 'false');
  }
}

// moveSelection opens the next (+1) or previous (-1) request of the list.
export function moveSelection(step) {
  const items = [...$('requests').children];
  if (!items.length) return;
  let i = items.findIndex((li) => li.dataset.id === state.openId);
  i = i < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, i + step));
  items[i].querySelector('.row-main')?.focus();
  items[i].scrollIntoView({ block: 'nearest' });
  hooks.open(items[i].dataset.id);
}

let mineSeq = 0;

// loadMine keeps My Support Requests' rows: the Mine tab's count, the
// unread total in the title and icon.
export async function loadMine() {
  const seq = ++mineSeq;
  try {
    const page = await api('GET', '/console/api/requests?view=mine&sort=updated&desc=true&limit=200');
    if (seq !== mineSeq) return;
    state.mine = page.requests;
  } catch {
    return;
  }
  const unread = state.mine.reduce((n, r) => n + (r.id === state.openId && document.hasFocus() ? 0 : (r.unread || 0)), 0);
  const c = document.querySelector('[data-count-for="mine"]');
  if (c) {
    // The unread count when there is one, else how many requests.
    c.replaceChildren(unread ? el('span', { class: 'unread-count', title: `${unread} unread in ${state.mine.length} requests`, dataset: { testid: 'mine-unread' } }, String(unread))
      : (state.mine.length ? ` ${state.mine.length}` : ''));
  }
  hooks.attention(unread);
}
