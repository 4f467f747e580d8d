// The Support Center, an agent workspace in three panes: the queue, the
// conversation and its information. The live feed (WebSocket, or long
// polling where sockets do not get through) keeps all three current.
import { api, el, toast, wireAvailability, wireCopyButtons } from './common.js';
import { initComposer, renderComposer, setMode } from './composer.js';
import { defaultView, initQueue, label, loadMine, loadQueue, manyCompanies, markSelected, moveSelection, renderQueue } from './queue.js';
import { $, chatLabel, narrow, showScreen, state, statusLabel } from './state.js';
import { atChatEnd, initTimeline, renderTimeline, shownUpTo } from './timeline.js';
import { attention, wireSound } from './attention.js';
import { availabilityBanner, banner, connect, initLive, renderTyping, sendFrame } from './live.js';
import { initScreen, screenFrame, screenRejoin, watchScreen } from './screen.js';
import { callFrame, callRejoin, initCall, watchCall } from './call.js';
import { cobrowseFrame, cobrowseRejoin, initCobrowse, watchCobrowse } from './cobrowse.js';

// ---------- The open request ----------

let detailSeq = 0;

async function openRequest(id, { quiet = false, focus = false } = {}) {
  const seq = ++detailSeq;
  if (state.openId !== id) {
    state.colleaguesFor = null;
    $('d-feedback').textContent = '';
    readSent = 0;
  }
  state.openId = id;
  markSelected();
  if (!quiet) showScreen('chat');
  try {
    const d = await api('GET', '/console/api/requests/' + encodeURIComponent(id));
    if (seq !== detailSeq) return;
    renderDetail(d);
    if (focus && !narrow()) $('conversation').focus({ preventScroll: true });
  } catch (err) {
    if (seq !== detailSeq) return;
    if (!quiet || err.status === 403 || err.status === 404) {
      toast(err.message, { error: true });
      closeDetail();
    }
  }
}

const refreshOpen = (id) => { if (state.openId === id) openRequest(id, { quiet: true }); };

function closeDetail() {
  state.openId = null;
  state.detail = null;
  watchScreen(null);
  watchCall(null);
  watchCobrowse(null);
  $('details').hidden = true;
  $('details-empty').hidden = false;
  $('side-body').hidden = true;
  $('side-empty').hidden = false;
  markSelected();
  showScreen('list');
  attention();
}

// feedback says in the conversation's header what an action did; errors
// are toasts.
let feedbackTimer = null;
function feedback(msg) {
  $('d-feedback').textContent = msg;
  clearTimeout(feedbackTimer);
  feedbackTimer = setTimeout(() => { $('d-feedback').textContent = ''; }, 5000);
}

function text(id, value) {
  $(id).textContent = value || '—';
}

// primaryAction is the one next step the request's state asks for: take
// it, join its chat, or — once the chat ended — close it.
function primaryAction(r, can) {
  if (can.has('assign')) return 'assign';
  if (r.chat === 'ended' && can.has('close') && r.owner_id === state.me) return 'close';
  if (can.has('join')) return 'join';
  return '';
}

function renderDetail(d) {
  const r = d.request;
  const first = !state.detail || state.detail.request.id !== r.id;
  state.detail = d;
  $('details-empty').hidden = true;
  $('details').hidden = false;
  $('details').dataset.id = r.id;
  $('side-empty').hidden = true;
  $('side-body').hidden = false;
  const many = manyCompanies(state.rows) || manyCompanies(state.mine);
  const who = r.customer_name || r.customer_email || 'Customer';
  $('d-title').textContent = `${label(r, many)} · ${who}`;
  const badge = $('d-status');
  badge.className = `badge ${r.status}`;
  badge.textContent = statusLabel[r.status] || r.status;
  const left = r.status !== 'completed' && d.customers?.length > 0 && d.customers.every((c) => !c.active);
  $('d-chat').textContent = r.status === 'completed' ? '' : (chatLabel[r.chat] || '') + (left ? ' · the customer left' : '');
  $('d-subject').textContent = r.subject ? '· ' + r.subject : '';

  // Actions by state: the next step is the primary button; closing is
  // offered in the header only to the owner of an Active request, always
  // through a confirmation; others who may close (an admin, anyone once the
  // customer left) find it at the foot of the information pane.
  const can = new Set(d.actions);
  const primary = primaryAction(r, can);
  const ownerClose = can.has('close') && r.status === 'active' && r.owner_id === state.me;
  for (const b of document.querySelectorAll('#details .actions [data-action]')) {
    const a = b.dataset.action;
    b.hidden = a === 'close' ? !ownerClose : !can.has(a);
    b.classList.toggle('primary', a === primary);
    if (a === 'join') b.textContent = r.chat === 'ended' ? 'Join again' : 'Join chat';
  }
  // The primary action leads; the others keep their order.
  const bar = document.querySelector('#details .actions');
  const order = ['assign', 'join', 'end', 'leave', 'call', 'callend', 'screenshare', 'screenstop', 'record', 'recordstop', 'cobrowse', 'cobrowsestop', 'sysinfo', 'close'];
  const rank = (b) => (b.dataset.action === primary ? -1 : order.indexOf(b.dataset.action));
  const sorted = [...bar.children].sort((a, b) => rank(a) - rank(b));
  if (sorted.some((b, i) => bar.children[i] !== b)) bar.append(...sorted);
  for (const b of document.querySelectorAll('#side [data-action="unassign"]')) b.hidden = !can.has('unassign');
  $('side-close').hidden = !can.has('close') || ownerClose;
  $('transfer-form').hidden = !can.has('transfer');
  $('invite-form').hidden = !can.has('invite');
  if ((can.has('transfer') || can.has('invite')) && state.colleaguesFor !== r.id) loadColleagues(r.id);

  text('d-number', `#${r.number}`);
  text('d-email', [r.customer_name, r.customer_email].filter(Boolean).join(' · '));
  text('d-company', r.company);
  text('d-status-text', statusLabel[r.status]);
  text('d-created', new Date(r.created_at).toLocaleString());
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
  if (rep && first) $('source-section').open = true;
  renderPeople(d);
  $('d-closing-note').hidden = !d.closing_note;
  $('d-closing-note').textContent = d.closing_note ? 'Closing note: ' + d.closing_note : '';

  watchScreen(d);
  watchCall(d);
  watchCobrowse(d);
  renderTimeline(d.timeline, first, d.read_rseq);
  renderComposer(d, first);
  $('composer-closed').hidden = !$('composer-form').hidden;
  $('composer-closed').textContent = r.status === 'completed' ? 'This request is closed.' : '';
  if (first) renderTyping();
  markRead();
}

// renderPeople lists everyone in the request: its owner, the technicians
// invited, the customers, and who has left.
function renderPeople(d) {
  const r = d.request;
  const items = [];
  const techs = d.technicians || [];
  if (r.owner && !techs.some((t) => t.id === r.owner_id)) items.push([r.owner, 'owner', true]);
  for (const t of techs) items.push([t.name, t.role === 'collaborator' ? 'invited' : (t.id === r.owner_id ? 'owner' : t.role), t.active]);
  for (const c of d.customers || []) items.push([c.name, c.primary ? 'customer' : 'customer (invited)', c.active]);
  $('d-people').replaceChildren(...items.map(([name, role, active]) => el('li', { class: active ? '' : 'gone' },
    el('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)), ' ', name, ' ',
    el('span', { class: 'muted small' }, role + (active ? '' : ', left')))));
  if (!r.owner_id) $('d-people').prepend(el('li', { class: 'muted' }, 'No owner yet'));
}

function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/);
  return ((parts[0]?.[0] || '?') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
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
    document.querySelector(`#side [data-action="${act}"]`).disabled = !list.length;
  }
}

const actionDone = {
  assign: 'Assigned to you', unassign: 'Unassigned; back in New', join: 'You joined the chat', end: 'Chat ended; close it when you are done',
  close: 'Request closed', transfer: 'Request transferred', invite: 'Technician invited', leave: 'You left the chat',
  screenshare: 'Screen sharing requested: the customer is asked', screenstop: 'Screen sharing stopped',
  record: 'Recording requested: the customer is asked', recordstop: 'Recording stopped; the file follows in the chat',
  call: 'Calling the customer…', callend: 'Call ended',
  cobrowse: 'Co-browsing requested: the customer is asked', cobrowsestop: 'Co-browsing stopped',
  sysinfo: 'System information requested',
};

async function runAction(button) {
  const act = button.dataset.action;
  const id = state.openId;
  if (!id) return;
  if (act === 'close') {
    askClose(id, state.detail?.request);
    return;
  }
  let payload;
  if (act === 'transfer') payload = { technician: $('transfer-to').value };
  if (act === 'invite') payload = { technician: $('invite-who').value };
  button.disabled = true;
  try {
    const d = await api('POST', `/console/api/requests/${encodeURIComponent(id)}/${act}`, payload ?? {});
    if (act === 'transfer') state.colleaguesFor = null;
    if (state.openId === id) renderDetail(d);
    feedback(`#${d.request.number}: ${actionDone[act]}.`);
    loadQueue({ keep: true });
    loadMine();
  } catch (err) {
    toast(err.message, { error: true });
    refreshOpen(id);
  } finally {
    button.disabled = false;
  }
}

// ---------- Closing, confirmed and undoable ----------

const undoFor = 5000;
let closing = null; // {id, timer}

// askClose asks for the closing note in a dialog; the close itself waits
// undoFor, with an Undo in a toast, before it is sent.
function askClose(id, r) {
  const dlg = $('close-dialog');
  dlg.dataset.id = id;
  $('close-what').textContent = r ? `Request #${r.number} of ${r.company}${r.customer_name || r.customer_email ? ', ' + (r.customer_name || r.customer_email) : ''}. It moves to Completed; its chat log is kept.` : '';
  $('closing-note').value = '';
  dlg.showModal();
  $('closing-note').focus();
}

function confirmClose(e) {
  e.preventDefault();
  const dlg = $('close-dialog');
  const id = dlg.dataset.id;
  const note = $('closing-note').value.trim();
  dlg.close();
  if (closing) sendClose(); // one pending close at a time: the earlier one goes now
  const timer = setTimeout(sendClose, undoFor);
  closing = { id, note, timer };
  const r = state.rows.find((x) => x.id === id) || state.mine.find((x) => x.id === id) || state.detail?.request;
  toast(`Closing request #${r?.number ?? ''}…`, {
    timeout: undoFor,
    action: { label: 'Undo', testid: 'undo-close', run: () => {
      if (closing?.id !== id) return;
      clearTimeout(closing.timer);
      closing = null;
      feedback('Not closed.');
    } },
  });
}

async function sendClose() {
  if (!closing) return;
  const { id, note, timer } = closing;
  clearTimeout(timer);
  closing = null;
  try {
    const d = await api('POST', `/console/api/requests/${encodeURIComponent(id)}/close`, { note });
    if (state.openId === id) renderDetail(d);
    feedback(`#${d.request.number}: ${actionDone.close}.`);
  } catch (err) {
    toast(err.message, { error: true });
  }
  loadQueue({ keep: true });
  loadMine();
}

// A close waiting for its undo is sent before the page goes away.
window.addEventListener('pagehide', () => {
  if (!closing) return;
  const { id, note } = closing;
  closing = null;
  fetch(`/console/api/requests/${encodeURIComponent(id)}/close`, {
    method: 'POST', keepalive: true, credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]')?.content ?? '' },
    body: JSON.stringify({ note }),
  }).catch(() => {});
});

// ---------- Read marks and attention ----------

let readSent = 0;
let readTimer = 0;

// markRead tells relaydesk the technician has seen the open request's chat
// up to its last line: only while the page has focus and the chat's end is
// in view.
function markRead() {
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    const id = state.openId;
    const upTo = shownUpTo();
    if (!id || !upTo || upTo <= readSent || document.hidden || !document.hasFocus() || !atChatEnd()) return;
    readSent = upTo;
    api('POST', `/console/api/requests/${encodeURIComponent(id)}/read`, { rseq: upTo })
      .then(() => { loadMine(); loadQueue({ keep: true }); })
      .catch(() => { readSent = 0; });
  }, 300);
}

window.addEventListener('focus', markRead);
document.addEventListener('visibilitychange', markRead);

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

// ---------- First run ----------

// renderChecklist shows an admin what is left to set up, on the empty
// conversation pane, until everything is done.
async function renderChecklist() {
  if (document.body.dataset.role !== 'admin') return;
  let items;
  try {
    ({ items } = await api('GET', '/console/api/checklist'));
  } catch {
    return; // no checklist: nothing to say
  }
  if (!items?.length || items.every((i) => i.done)) return;
  $('checklist-items').replaceChildren(...items.map((i) => el('li', { class: i.done ? 'done' : '', dataset: { id: i.id } },
    el('span', { class: 'tick', 'aria-label': i.done ? 'done' : 'to do' }, i.done ? '✓' : ''), ' ',
    i.href ? el('a', { href: i.href }, i.label) : i.label)));
  $('checklist').hidden = false;
}

// ---------- Keyboard ----------

// Single keys act when no field has the cursor: j/k move in the list,
// r replies, n writes a note, Esc goes back. Ctrl+Enter sends from the box.
function onKey(e) {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
  const t = e.target;
  const typing = t.closest?.('input, textarea, select, [contenteditable="true"]');
  if (e.key === 'Escape') {
    if (document.querySelector('dialog[open]')) return;
    if (typing) {
      t.blur();
      $('conversation').focus({ preventScroll: true });
      return;
    }
    back();
    return;
  }
  if (typing) return;
  switch (e.key) {
    case 'j': moveSelection(1); break;
    case 'k': moveSelection(-1); break;
    case 'r': setMode('reply'); break;
    case 'n': setMode('note'); break;
    default: return;
  }
  e.preventDefault();
}

// back leaves the information pane for the conversation, and the
// conversation for the list.
function back() {
  const screen = $('workspace').dataset.screen;
  if (screen === 'info') {
    showScreen('chat');
    return;
  }
  if (narrow() || screen === 'chat') {
    showScreen('list');
    document.querySelector('#requests li.selected .row-main')?.focus();
  }
}

// The information pane folds away on request; the choice is remembered.
function wireSide() {
  const apply = (open) => {
    $('workspace').classList.toggle('side-folded', !open);
    $('side-toggle').setAttribute('aria-expanded', String(open));
  };
  const saved = localStorage.getItem('relaydesk.side');
  apply(saved ? saved === 'open' : window.innerWidth >= 1280);
  $('side-toggle').addEventListener('click', () => {
    if (narrow()) {
      showScreen('info');
      return;
    }
    const open = $('workspace').classList.contains('side-folded');
    localStorage.setItem('relaydesk.side', open ? 'open' : 'folded');
    apply(open);
  });
  $('side-back').addEventListener('click', () => showScreen('chat'));
  $('back').addEventListener('click', () => showScreen('list'));
}

// ---------- Wiring ----------

initQueue({
  open: (id, opts) => openRequest(id, opts),
  close: (id, row) => askClose(id, row),
  attention,
});
initTimeline({ refresh: refreshOpen, seen: markRead });
initLive({
  open: (id, opts) => openRequest(id, opts), rtc: (body) => (body.session === 'call' ? callFrame : screenFrame)(body),
  cobrowse: (body) => cobrowseFrame(body),
  reconnected: () => { screenRejoin(); cobrowseRejoin(); callRejoin(); },
});
initScreen({ send: sendFrame });
initCall({ send: sendFrame });
initCobrowse({ send: sendFrame });
initComposer({ refresh: refreshOpen, feedback });

document.addEventListener('click', (e) => {
  const b = e.target.closest('#details button[data-action], #side button[data-action]');
  if (b && !b.disabled) runAction(b);
});
document.addEventListener('keydown', onKey);
$('close-form').addEventListener('submit', confirmClose);
$('close-cancel').addEventListener('click', () => $('close-dialog').close());
$('invite-customer')?.addEventListener('click', openInvite);
$('invite-customer-form').addEventListener('submit', createInvite);
$('invite-close').addEventListener('click', () => $('invite-dialog').close());

wireCopyButtons();
wireSound();
wireSide();
wireAvailability(() => {
  banner(availabilityBanner());
  state.known = null;
  loadQueue({ keep: true });
  renderChecklist();
  if (state.openId) refreshOpen(state.openId);
});

banner(availabilityBanner());
renderQueue(false);
renderChecklist();
await loadMine();
defaultView();
loadQueue();
// A link to one request (from a platform's message) opens it.
const linked = new URLSearchParams(location.search).get('request');
if (linked) openRequest(linked, { focus: true });
connect();
