// The Support Center: Support Requests, My Support Requests and Details,
// kept current by the live feed (WebSocket, or long polling where sockets
// do not get through).
import { api, ApiError, csrf, el, fmtBytes, fmtTime, toast, wireAvailability, wireCopyButtons } from './common.js';
import { messageContent } from './richtext.js';

const $ = (id) => document.getElementById(id);
const body = document.body;
const availability = () => body.dataset.availability;
const VIEWS = ['all', 'new', 'active', 'completed'];

const state = {
  view: VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : (availability() === 'available' ? 'new' : 'all'),
  sort: 'created',
  desc: false,
  rows: [],
  next: '',
  known: null, // request IDs already listed: rows that appear later flash
  openId: null,
  detail: null,
  colleaguesFor: null,
  pos: document.querySelector('meta[name="log-position"]')?.content || '',
  unread: new Set(),
  mineIds: new Set(),
};

const statusLabel = { new: 'New', active: 'Active', completed: 'Completed' };
const chatLabel = { waiting: 'Waiting for a technician to join', live: 'Live', ended: 'Ended' };

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// ---------- Support Requests ----------

let queueSeq = 0;

async function loadQueue({ keep = false, more = false } = {}) {
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
    $('queue-empty').hidden = state.rows.length > 0;
    $('queue-empty').textContent = 'No requests in this view.';
  } catch (err) {
    if (seq !== queueSeq) return;
    state.rows = [];
    state.next = '';
    renderQueue(false);
    $('queue-empty').hidden = false;
    $('queue-empty').textContent = err.message;
  }
}

function renderQueue(flash) {
  const tbody = $('requests').tBodies[0];
  const seen = state.known;
  state.known = new Set(state.rows.map((r) => r.id));
  tbody.replaceChildren(...state.rows.map((r) => {
    const tr = el('tr', { dataset: { id: r.id, number: r.number, status: r.status } },
      el('td', { class: 'num' }, el('button', { type: 'button', 'aria-label': `Open request ${r.number}` }, `#${r.number}`)),
      el('td', { title: new Date(r.created_at).toLocaleString() }, fmtTime(r.created_at)),
      el('td', { title: new Date(r.updated_at).toLocaleString() }, fmtTime(r.updated_at)),
      el('td', {}, r.company),
      el('td', {}, el('span', { class: `badge ${r.status}` }, statusLabel[r.status] || r.status)),
      el('td', {}, r.owner || '—'),
      el('td', { class: 'customer', title: r.customer_email }, r.customer_email || r.customer_name || '—'));
    if (r.id === state.openId) tr.classList.add('selected');
    if (flash && seen && !seen.has(r.id)) tr.classList.add('fresh');
    return tr;
  }));
  $('more').hidden = !state.next;
  for (const th of $('requests').tHead.rows[0].cells) {
    th.setAttribute('aria-sort', th.dataset.sort === state.sort ? (state.desc ? 'descending' : 'ascending') : 'none');
  }
  for (const a of document.querySelectorAll('.views a[data-view]')) {
    if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function setView(view) {
  state.view = view;
  state.known = null;
  history.replaceState(null, '', '#' + view);
  loadQueue();
}

// ---------- My Support Requests ----------

let mineSeq = 0;

async function loadMine() {
  const seq = ++mineSeq;
  try {
    const page = await api('GET', '/console/api/requests?view=mine&sort=updated&desc=true&limit=200');
    if (seq !== mineSeq) return;
    renderMine(page.requests);
  } catch (err) {
    if (seq !== mineSeq) return;
    $('mine-empty').hidden = false;
    $('mine-empty').textContent = err.message;
  }
}

function renderMine(rows) {
  state.mineIds = new Set(rows.map((r) => r.id));
  $('mine').replaceChildren(...rows.map((r) => el('li', { dataset: { id: r.id, number: r.number }, class: r.id === state.openId ? 'selected' : null },
    el('button', { type: 'button', 'aria-current': r.id === state.openId ? 'true' : null },
      el('span', { class: 'mine-num' }, `#${r.number}`),
      el('span', { class: 'mine-who' }, r.customer_email || r.customer_name || r.company),
      state.unread.has(r.id) ? el('span', { class: 'unread', title: 'New messages', 'aria-label': 'new messages' }) : el('span', {}),
      el('span', { class: 'mine-sub' }, `${r.company} · chat ${r.chat === 'live' ? 'live' : r.chat}${r.subject ? ' · ' + r.subject : ''}`)))));
  $('mine-empty').hidden = rows.length > 0;
  $('mine-empty').textContent = 'Nothing is assigned to you. Requests you assign to yourself stay here until you unassign or close them.';
  $('mine-count').textContent = rows.length ? String(rows.length) : '';
}

// ---------- Details ----------

let detailSeq = 0;

async function openRequest(id, { quiet = false, focus = false } = {}) {
  const seq = ++detailSeq;
  if (state.openId !== id) {
    state.colleaguesFor = null;
    $('closing-note').value = '';
    $('d-feedback').textContent = '';
  }
  state.openId = id;
  state.unread.delete(id);
  markSelected();
  try {
    const d = await api('GET', '/console/api/requests/' + encodeURIComponent(id));
    if (seq !== detailSeq) return;
    renderDetail(d);
    if (focus) $('details').focus();
  } catch (err) {
    if (seq !== detailSeq) return;
    if (!quiet || err.status === 403 || err.status === 404) {
      toast(err.message, { error: true });
      closeDetail();
    }
  }
}

function closeDetail() {
  state.openId = null;
  state.detail = null;
  $('details-body').hidden = true;
  $('details-empty').hidden = false;
  markSelected();
}

function markSelected() {
  for (const tr of $('requests').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.id === state.openId);
  for (const li of $('mine').children) {
    li.classList.toggle('selected', li.dataset.id === state.openId);
    if (!state.unread.has(li.dataset.id)) li.querySelector('.unread')?.remove();
  }
}

// feedback says in the Details panel what an action did; errors are toasts.
let feedbackTimer = null;
function feedback(msg) {
  $('d-feedback').textContent = msg;
  clearTimeout(feedbackTimer);
  feedbackTimer = setTimeout(() => { $('d-feedback').textContent = ''; }, 5000);
}

function text(id, value) {
  $(id).textContent = value || '—';
}

function renderDetail(d) {
  const r = d.request;
  const first = !state.detail || state.detail.request.id !== r.id;
  state.detail = d;
  $('details-empty').hidden = true;
  $('details-body').hidden = false;
  $('details-body').dataset.id = r.id;
  $('d-title').textContent = `Request #${r.number} · ${r.company}`;
  const badge = $('d-status');
  badge.className = `badge ${r.status}`;
  badge.textContent = statusLabel[r.status] || r.status;
  $('d-subject').textContent = r.subject || '';

  const can = new Set(d.actions);
  for (const b of document.querySelectorAll('#details .actions [data-action]')) b.hidden = !can.has(b.dataset.action);
  $('transfer-form').hidden = !can.has('transfer');
  $('invite-form').hidden = !can.has('invite');
  $('close-form').hidden = !can.has('close');
  if ((can.has('transfer') || can.has('invite')) && state.colleaguesFor !== r.id) loadColleagues(r.id);

  text('d-number', `#${r.number}`);
  text('d-email', r.customer_email || r.customer_name);
  text('d-company', r.company);
  text('d-status-text', statusLabel[r.status]);
  text('d-owner', r.owner || 'Unassigned');
  text('d-chat', r.status === 'completed' ? 'Closed' : chatLabel[r.chat]);
  const s = d.source;
  text('d-ip', s.ip);
  text('d-device', s.device);
  text('d-os', s.os);
  text('d-browser', s.browser);
  text('d-channel', [s.channel, s.language].filter(Boolean).join(' · '));
  // What the customer's browser reported, when asked, beside what relaydesk
  // saw itself: the two may disagree.
  const rep = s.reported;
  $('d-reported-row').hidden = !rep && !s.asked;
  text('d-reported', rep ? [rep.device, rep.os, rep.browser, rep.language].filter(Boolean).join(' · ') : 'asked, no answer yet');
  const people = d.customers.filter((p) => p.active).map((p) => p.name + (p.primary ? ' (customer)' : ''))
    .concat(d.technicians.filter((p) => p.active && p.role === 'collaborator').map((p) => p.name + ' (invited)'));
  text('d-people', people.join(', '));
  $('d-closing-note').hidden = !d.closing_note;
  $('d-closing-note').textContent = d.closing_note ? 'Closing note: ' + d.closing_note : '';

  renderTimeline(d.timeline, first);
  renderComposer(d, first);
  if (first) renderTyping();
}

// following is whether the reader is at the end of the chat, so that a
// picture that loads brings the end back into view. Only the reader
// scrolling up clears it: the chat also scrolls when content above the
// view changes size (the browser keeps what is in view where it is), and
// those scroll events come a frame late, after pictures may have grown.
let following = true;
let lastTop = 0;
const atEnd = (box) => box.scrollHeight - box.scrollTop - box.clientHeight < 40;

function toEnd() {
  const box = $('messages');
  box.scrollTop = box.scrollHeight;
  following = true;
}

$('messages').addEventListener('scroll', (e) => {
  const box = e.target;
  if (box.scrollTop < lastTop) following = atEnd(box);
  else if (atEnd(box)) following = true;
  lastTop = box.scrollTop;
});

// renderTimeline shows a request's timeline. For the request already shown
// it appends only the new lines, so the live region announces just those;
// of the lines shown, only their delivery marks change.
let shownRSeq = 0;
let deliveryTimer = 0;
function renderTimeline(lines, first) {
  const box = $('messages');
  const atBottom = first || following || atEnd(box);
  if (first) {
    box.replaceChildren(...lines.map(renderLine));
    if (!lines.length) box.append(el('li', { class: 'notice empty-chat' }, 'No messages yet.'));
  } else {
    const fresh = lines.filter((l) => l.rseq > shownRSeq);
    if (fresh.length) box.querySelector('.empty-chat')?.remove();
    box.append(...fresh.map(renderLine));
    for (const l of lines) {
      if (l.rseq > shownRSeq) continue;
      const shown = box.querySelector(`li[data-rseq="${l.rseq}"]`);
      // An edit or a withdrawal changes a line in place, unless its
      // author is editing it right now.
      if (shown && l.kind !== 'notice' && shown.dataset.sig !== lineSig(l) && !shown.querySelector('.edit-box')) {
        shown.replaceWith(renderLine(l));
        continue;
      }
      if (l.deliveries) shown?.querySelector('.deliveries')?.replaceWith(renderDeliveries(l.deliveries));
    }
  }
  shownRSeq = lines.reduce((m, l) => Math.max(m, l.rseq), 0);
  // A message still on its way is looked at again shortly: delivery
  // progress is no event of the request's, so no live update brings it.
  clearTimeout(deliveryTimer);
  if (lines.some((l) => (l.deliveries || []).some((d) => d.state === 'queued' || d.state === 'retrying'))) {
    const id = state.openId;
    deliveryTimer = setTimeout(() => { if (state.openId === id) openRequest(id, { quiet: true }); }, 2000);
  }
  if (atBottom) toEnd();
}

function renderLine(l) {
  if (l.kind === 'notice') {
    return el('li', { class: 'notice', dataset: { rseq: l.rseq, event: l.event } }, l.body, ' · ', fmtTime(l.at));
  }
  const note = l.kind === 'note';
  const withdrawn = !!l.withdrawn_at;
  const li = el('li', {
    class: [l.author_kind, note ? 'note' : '', l.kind, l.mine ? 'mine' : '', withdrawn ? 'withdrawn' : ''].filter(Boolean).join(' '),
    dataset: { rseq: l.rseq, id: l.id, sig: lineSig(l), testid: 'line' },
  });
  li.append(el('div', { class: 'meta' },
    el('strong', {}, l.author || (l.author_kind === 'customer' ? 'Customer' : 'Technician')),
    note ? el('span', { class: 'note-label' }, 'Private note') : null,
    l.to ? el('span', { class: 'to-label' }, 'to ' + l.to) : null,
    el('time', { datetime: l.at, title: new Date(l.at).toLocaleString() }, fmtTime(l.at)),
    l.version > 1 ? el('span', { class: 'edited-mark', dataset: { testid: 'edited' }, title: l.edited_at ? 'edited ' + new Date(l.edited_at).toLocaleString() : null }, 'edited') : null,
    l.deliveries ? renderDeliveries(l.deliveries) : null,
    lineActions(l)));
  if (l.file) {
    const f = l.file;
    const link = el('a', { class: 'file-link', href: f.url, target: f.image ? '_blank' : null, rel: 'noopener', download: f.image ? null : f.name }, f.name);
    li.append(el('div', { class: 'body' }, el('span', { class: 'file-tag' }, 'File'), ' ', link, ` (${fmtBytes(f.size)})`));
    if (f.image) li.append(el('img', { class: 'preview', src: f.url, alt: f.name, loading: 'lazy', onload: () => { if (following) toEnd(); } }));
  } else {
    li.append(el('div', { class: 'body' }, messageContent(l.doc, l.body)));
  }
  if (withdrawn) {
    li.append(el('div', { class: 'withdrawn-mark', dataset: { testid: 'withdrawn' } },
      `withdrawn by ${l.withdrawn_by || 'its author'} at ${fmtTime(l.withdrawn_at)}`));
  }
  return li;
}

// lineSig says what of a line an edit or a withdrawal changes.
const lineSig = (l) => `${l.version || 1}/${l.withdrawn_at || ''}`;

// lineActions are what a technician may do with a chat line: edit their own
// text and withdraw their own lines while not withdrawn, and read the
// versions of an edited one (the engine decides, and says why not).
function lineActions(l) {
  if (!l.id) return null;
  const own = l.mine && !l.withdrawn_at;
  const acts = [];
  if (own && l.kind !== 'file') acts.push(el('button', { type: 'button', dataset: { testid: 'edit-line' }, onclick: (e) => editLine(e.target.closest('li'), l) }, 'Edit'));
  if (own) {
    // Two steps instead of a dialog: the first click asks, the second does.
    acts.push(el('button', {
      type: 'button', dataset: { testid: 'withdraw-line' }, onclick: (e) => {
        const b = e.target;
        if (b.dataset.armed) {
          withdrawLine(l);
          return;
        }
        b.dataset.armed = '1';
        b.textContent = l.kind === 'note' ? 'Withdraw the note?' : 'Withdraw from the customer?';
        setTimeout(() => { if (b.isConnected) { delete b.dataset.armed; b.textContent = 'Withdraw'; } }, 5000);
      },
    }, 'Withdraw'));
  }
  if (l.version > 1) acts.push(el('button', { type: 'button', dataset: { testid: 'history' }, onclick: (e) => showHistory(e.target.closest('li'), l) }, 'History'));
  return acts.length ? el('span', { class: 'line-actions' }, ...acts) : null;
}

const messagePath = (l) => `/console/api/requests/${encodeURIComponent(state.openId)}/messages/${encodeURIComponent(l.id)}`;

// editLine turns a line's text into a box to edit it in; Save sends it
// under one Idempotency-Key for this edit, Cancel (or Escape) puts the line
// back.
function editLine(li, l) {
  if (!li || li.querySelector('.edit-box')) return;
  const id = state.openId;
  const key = newKey();
  const box = el('textarea', { class: 'edit-input', rows: 3, 'aria-label': 'New text', dataset: { testid: 'edit-input' } });
  box.value = l.body;
  const restore = () => { if (li.isConnected) li.replaceWith(renderLine(l)); };
  const save = async () => {
    const text = box.value.trim();
    if (!text) return;
    try {
      await api('PATCH', messagePath(l), { body: text }, { 'Idempotency-Key': key });
      form.remove();
      if (state.openId === id) openRequest(id, { quiet: true });
    } catch (err) {
      toast(err.message, { error: true });
    }
  };
  const form = el('div', { class: 'edit-box' }, box,
    el('button', { type: 'button', dataset: { testid: 'edit-save' }, onclick: save }, 'Save'),
    el('button', { type: 'button', onclick: restore }, 'Cancel'));
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') restore();
    else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      save();
    }
  });
  li.querySelector('.body')?.replaceWith(form);
  box.focus();
}

// withdrawLine withdraws one of the technician's lines: customers no longer
// see it, technicians keep it, marked withdrawn.
async function withdrawLine(l) {
  const id = state.openId;
  try {
    await api('DELETE', messagePath(l), undefined, { 'Idempotency-Key': newKey() });
    if (state.openId === id) openRequest(id, { quiet: true });
  } catch (err) {
    toast(err.message, { error: true });
  }
}

// showHistory lists every text a message has had, oldest first, under it.
async function showHistory(li, l) {
  const open = li.querySelector('.versions');
  if (open) {
    open.remove();
    return;
  }
  try {
    const v = await api('GET', messagePath(l) + '/versions');
    li.append(el('ol', { class: 'versions', dataset: { testid: 'versions' } }, ...v.versions.map((x) =>
      el('li', {}, el('time', { datetime: x.edited_at }, fmtTime(x.edited_at)), ' ', x.version === 1 ? '(original) ' : '', x.body))));
  } catch (err) {
    toast(err.message, { error: true });
  }
}

// renderDeliveries marks where a message stands on each platform that shows
// the request, the reason in the tooltip.
const deliveryMark = { queued: '…', sent: '✓', retrying: '↻', failed: '✕' };
const deliveryWord = { queued: 'queued', sent: 'sent', retrying: 'retrying', failed: 'not delivered' };
function renderDeliveries(ds) {
  return el('span', { class: 'deliveries' }, ...ds.map((d) => {
    const label = `${d.destination}: ${deliveryWord[d.state] || d.state}` + (d.reason ? ` (${d.reason})` : '');
    return el('span', { class: 'delivery ' + d.state, title: label, 'aria-label': label, dataset: { destination: d.destination, state: d.state } },
      `${d.destination} ${deliveryMark[d.state] || ''}`);
  }));
}

function renderComposer(d, first) {
  const form = $('composer-form');
  form.hidden = !(d.can_message || d.can_note);
  const toggle = $('note-toggle');
  if (first) toggle.checked = false;
  if (!d.can_message) {
    toggle.checked = true;
    toggle.disabled = true;
  } else if (toggle.disabled) {
    // Notes were the only choice until now (the chat was not joined):
    // once the technician may write to the customer, that is the default.
    toggle.disabled = false;
    toggle.checked = false;
  }
  const to = $('to');
  const keep = to.value;
  to.replaceChildren(el('option', { value: '' }, 'Everyone in the chat'),
    ...d.customers.filter((p) => p.active).map((p) => el('option', { value: p.id }, p.name)));
  to.value = [...to.options].some((o) => o.value === keep) ? keep : '';
  syncComposer();
}

function syncComposer() {
  const d = state.detail;
  const note = $('note-toggle').checked;
  $('composer-form').classList.toggle('note-mode', note);
  $('to').disabled = note || !d?.can_message;
  $('file').disabled = note || !d?.can_message;
  $('composer').placeholder = note
    ? 'Private note: only technicians see it. Enter saves it.'
    : 'Write to the customer. Enter sends, Shift+Enter starts a new line.';
  $('send').textContent = note ? 'Add note' : 'Send';
  if (d && !d.can_message) $('composer-hint').textContent = d.request.status === 'completed' ? 'The request is closed: only private notes.' : 'Join the chat to write to the customer; private notes are always possible.';
  else $('composer-hint').textContent = '';
}

async function loadColleagues(id) {
  state.colleaguesFor = id;
  let list = [];
  try {
    list = (await api('GET', '/console/api/colleagues?request=' + encodeURIComponent(id))).technicians;
    const rank = { available: 0, busy: 1, away: 2 };
    list.sort((a, b) => (rank[a.availability] - rank[b.availability]) || a.name.localeCompare(b.name));
  } catch (err) {
    toast(err.message, { error: true });
  }
  for (const [selId, act] of [['transfer-to', 'transfer'], ['invite-who', 'invite']]) {
    const sel = $(selId);
    sel.replaceChildren(...(list.length
      ? list.map((t) => el('option', { value: t.id }, `${t.name} (${t.availability})`))
      : [el('option', { value: '' }, 'No colleague has access to this company')]));
    document.querySelector(`#details [data-action="${act}"]`).disabled = !list.length;
  }
}

const actionDone = {
  assign: 'Assigned to you', unassign: 'Unassigned; back in New', join: 'You joined the chat', end: 'Chat ended',
  close: 'Request closed', transfer: 'Request transferred', invite: 'Technician invited',
  screenshare: 'Screen sharing requested', sysinfo: 'System information requested',
};

async function runAction(button) {
  const act = button.dataset.action;
  const id = state.openId;
  if (!id) return;
  let payload;
  if (act === 'close') payload = { note: $('closing-note').value.trim() };
  if (act === 'transfer') payload = { technician: $('transfer-to').value };
  if (act === 'invite') payload = { technician: $('invite-who').value };
  button.disabled = true;
  try {
    const d = await api('POST', `/console/api/requests/${encodeURIComponent(id)}/${act}`, payload ?? {});
    if (act === 'close') $('closing-note').value = '';
    if (act === 'transfer') state.colleaguesFor = null;
    if (state.openId === id) renderDetail(d);
    feedback(`#${d.request.number}: ${actionDone[act]}.`);
    loadQueue({ keep: true });
    loadMine();
  } catch (err) {
    toast(err.message, { error: true });
    if (state.openId === id) openRequest(id, { quiet: true });
  } finally {
    button.disabled = false;
  }
}

async function send(e) {
  e.preventDefault();
  const id = state.openId;
  const box = $('composer');
  const msg = box.value.trim();
  if (!id || !msg) return;
  const note = $('note-toggle').checked;
  $('send').disabled = true;
  try {
    await api('POST', `/console/api/requests/${encodeURIComponent(id)}/messages`,
      { body: msg, to: note ? '' : $('to').value, note }, { 'Idempotency-Key': newKey() });
    box.value = '';
    openRequest(id, { quiet: true });
  } catch (err) {
    toast(err.message, { error: true });
  } finally {
    $('send').disabled = false;
    box.focus();
  }
}

function upload(file) {
  const id = state.openId;
  if (!id || !file) return;
  const bar = $('upload-progress');
  const input = $('file');
  const fd = new FormData();
  const to = $('to').value;
  if (to) fd.append('to', to);
  fd.append('size', String(file.size));
  fd.append('file', file, file.name);
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `/console/api/requests/${encodeURIComponent(id)}/files`);
  xhr.setRequestHeader('X-CSRF-Token', csrf);
  xhr.setRequestHeader('Idempotency-Key', newKey());
  xhr.setRequestHeader('Accept', 'application/json');
  bar.hidden = false;
  bar.value = 0;
  $('composer-hint').textContent = `Uploading ${file.name}…`;
  xhr.upload.onprogress = (ev) => {
    if (ev.lengthComputable) bar.value = Math.round((ev.loaded / ev.total) * 100);
  };
  const done = (msg, error) => {
    bar.hidden = true;
    input.value = '';
    $('composer-hint').textContent = '';
    if (msg) toast(msg, { error });
  };
  xhr.onload = () => {
    if (xhr.status === 201) {
      done('', false);
      feedback(`${file.name} sent.`);
      openRequest(id, { quiet: true });
      return;
    }
    if (xhr.status === 401) location.assign('/console/login');
    let msg = `Upload failed (${xhr.status})`;
    try { msg = JSON.parse(xhr.responseText).error.message; } catch { /* keep the generic text */ }
    done(msg, true);
  };
  xhr.onerror = () => done('The upload was interrupted; try again.', true);
  xhr.send(fd);
}

// ---------- Typing ----------

// Someone writing in a request's chat shows in that request's Details for
// typingShown after their last signal, or until a message of theirs
// arrives. Typists are keyed by request and actor ID.
const typingShown = 6000;
const typingEvery = 2000;
const typists = new Map(); // "request/actor" -> {request, name, timer}
let typingSent = { id: '', at: 0 };

function showTyping(t) {
  if (!t || !t.request_id || !t.name) return;
  const k = t.request_id + '/' + (t.actor_id || t.name);
  const had = typists.get(k);
  if (had) clearTimeout(had.timer);
  typists.set(k, { request: t.request_id, name: t.name, timer: setTimeout(() => hideTyping(t.request_id, t.actor_id || t.name), typingShown) });
  if (!had) renderTyping();
}

function hideTyping(requestID, actorID) {
  const k = requestID + '/' + actorID;
  const had = typists.get(k);
  if (!had) return;
  clearTimeout(had.timer);
  typists.delete(k);
  renderTyping();
}

function renderTyping() {
  const names = [...typists.values()].filter((t) => t.request === state.openId).map((t) => t.name);
  const line = $('typing');
  line.hidden = names.length === 0;
  line.textContent = names.length === 0 ? ''
    : names.length === 1 ? `${names[0]} is typing…`
      : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are typing…`;
}

// typed tells the request's customers the technician is writing to them:
// from the chat composer only (a private note is no chat), at most once
// per typingEvery while it has text, fire and forget.
function typed() {
  const id = state.openId;
  const d = state.detail;
  if (!id || !d?.can_message || $('note-toggle').checked || !$('composer').value.trim()) return;
  const now = Date.now();
  if (typingSent.id === id && now - typingSent.at < typingEvery) return;
  typingSent = { id, at: now };
  api('POST', `/console/api/requests/${encodeURIComponent(id)}/typing`).catch(() => {});
}

// ---------- Live updates ----------

const pending = new Set();
let refreshTimer = null;

function onFrame(fr) {
  if (fr.next) state.pos = fr.next;
  for (const ev of fr.events || []) onEvent(ev);
}

function onEvent(ev) {
  pending.add(ev.request_id);
  if (ev.type === 'chat.message' || ev.type === 'chat.file') hideTyping(ev.request_id, ev.actor_id);
  if (ev.type === 'request.created' && ev.actor_kind !== 'technician' && availability() === 'available') notifyNew(ev);
  if ((ev.type === 'chat.message' || ev.type === 'chat.file') && ev.actor_kind === 'customer' && ev.request_id !== state.openId && state.mineIds.has(ev.request_id)) {
    state.unread.add(ev.request_id);
  }
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 200);
}

function refresh() {
  const ids = new Set(pending);
  pending.clear();
  loadQueue({ keep: true });
  loadMine();
  if (state.openId && ids.has(state.openId)) openRequest(state.openId, { quiet: true });
}

function notifyNew(ev) {
  const who = ev.data.customer_email || ev.data.customer_name || 'a customer';
  const msg = `New request #${ev.data.number} from ${who}`;
  toast(msg, { onOpen: () => openRequest(ev.request_id, { focus: true }) });
  if ('Notification' in window && Notification.permission === 'granted') {
    try {
      const n = new Notification('relaydesk: ' + msg, { body: ev.data.body || '', tag: ev.request_id });
      n.onclick = () => { window.focus(); openRequest(ev.request_id, { focus: true }); n.close(); };
    } catch { /* some browsers allow notifications from service workers only */ }
  }
}

let socketFailures = 0;
let backoff = 1000;

function banner(msg) {
  $('banner').hidden = !msg;
  $('banner').textContent = msg || '';
}

function availabilityBanner() {
  const a = availability();
  return a === 'available' ? '' : `You are ${a}: new requests are hidden and you are not notified of them. Set your status to Available to take requests.`;
}

function connect() {
  let ws;
  try {
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/console/api/live');
  } catch {
    poll();
    return;
  }
  let opened = false;
  ws.onopen = () => {
    opened = true;
    socketFailures = 0;
    backoff = 1000;
    ws.send(JSON.stringify({ after: state.pos }));
    banner(availabilityBanner());
  };
  ws.onmessage = (m) => {
    let fr;
    try { fr = JSON.parse(m.data); } catch { return; }
    if (fr.type === 'events') onFrame(fr);
    else if (fr.type === 'typing') showTyping(fr.typing);
    else if (fr.type === 'error' && /signed out|sign in/i.test(fr.error || '')) location.assign('/console/login');
  };
  ws.onclose = () => {
    if (!opened) socketFailures++;
    if (socketFailures >= 3) {
      poll();
      return;
    }
    banner('Live updates interrupted; reconnecting…');
    setTimeout(() => {
      connect();
      // Whatever happened meanwhile arrives from state.pos on; refresh
      // anyway in case the position itself was refused.
      loadQueue({ keep: true });
      loadMine();
    }, backoff);
    backoff = Math.min(backoff * 2, 30000);
  };
}

async function poll() {
  banner(availabilityBanner());
  for (;;) {
    try {
      const fr = await api('GET', '/console/api/feed?after=' + encodeURIComponent(state.pos));
      if (fr.type === 'typing') showTyping(fr.typing);
      else onFrame(fr);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      banner('Live updates interrupted; retrying…');
      await new Promise((r) => setTimeout(r, 3000));
      banner(availabilityBanner());
    }
  }
}

// ---------- Invite a customer ----------

async function openInvite() {
  const dlg = $('invite-dialog');
  $('invite-result').hidden = true;
  $('invite-error').hidden = true;
  $('invite-create').disabled = false;
  $('invite-subject').value = '';
  try {
    const { companies } = await api('GET', '/console/api/companies');
    $('invite-company').replaceChildren(...companies.map((c) => el('option', { value: c.id }, c.name)));
    if (!companies.length) {
      $('invite-error').hidden = false;
      $('invite-error').textContent = 'You have access to no company yet; ask an admin.';
      $('invite-create').disabled = true;
    }
  } catch (err) {
    toast(err.message, { error: true });
    return;
  }
  dlg.showModal();
}

async function createInvite(e) {
  e.preventDefault();
  $('invite-error').hidden = true;
  try {
    const res = await api('POST', '/console/api/invite-customer', { company: $('invite-company').value, subject: $('invite-subject').value.trim() });
    $('invite-link').value = res.link;
    $('invite-result').hidden = false;
    $('invite-create').disabled = true;
    $('invite-link').select();
    openRequest(res.request.id);
    loadMine();
    loadQueue({ keep: true });
  } catch (err) {
    $('invite-error').hidden = false;
    $('invite-error').textContent = err.message;
  }
}

// ---------- Wiring ----------

document.querySelector('.views').addEventListener('click', (e) => {
  const a = e.target.closest('a[data-view]');
  if (!a) return;
  e.preventDefault();
  setView(a.dataset.view);
});

$('requests').tHead.addEventListener('click', (e) => {
  const th = e.target.closest('th[data-sort]');
  if (!th) return;
  if (state.sort === th.dataset.sort) state.desc = !state.desc;
  else {
    state.sort = th.dataset.sort;
    state.desc = false;
  }
  loadQueue();
});

$('requests').tBodies[0].addEventListener('click', (e) => {
  const tr = e.target.closest('tr[data-id]');
  if (tr) openRequest(tr.dataset.id, { focus: e.target.closest('button') !== null });
});

$('mine').addEventListener('click', (e) => {
  const li = e.target.closest('li[data-id]');
  if (li) openRequest(li.dataset.id, { focus: true });
});

$('more').addEventListener('click', () => loadQueue({ more: true }));

$('details').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-action]');
  if (b && !b.disabled) runAction(b);
});

$('composer-form').addEventListener('submit', send);
$('composer').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $('composer-form').requestSubmit();
  }
});
$('composer').addEventListener('input', typed);
$('note-toggle').addEventListener('change', syncComposer);
$('file').addEventListener('change', () => upload($('file').files[0]));

$('invite-customer')?.addEventListener('click', openInvite);
$('invite-customer-form').addEventListener('submit', createInvite);
$('invite-close').addEventListener('click', () => $('invite-dialog').close());

wireCopyButtons();
wireAvailability(() => {
  banner(availabilityBanner());
  if (state.view === 'new' || availability() !== 'available') state.known = null;
  loadQueue({ keep: true });
  if (state.openId) openRequest(state.openId, { quiet: true });
});

banner(availabilityBanner());
renderQueue(false);
loadQueue();
loadMine();
connect();
