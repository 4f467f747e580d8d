// relaydesk customer chat: the page inside the widget's iframe
// (/widget/frame) and the support portal (/c/{slug}). A plain ES module, no
// build step. The API it speaks is described in docs/widget-api.md.
//
// The request's token is the customer's only credential. It lives in
// localStorage under the company's slug, so a reload or another tab resumes
// the same request, and it is only ever sent in an Authorization header or
// in the WebSocket's first frame, never in a URL.
//
// A message's text is shown from its Doc (see richtext.js): this page never
// parses HTML or Markdown, and never sets innerHTML.

import { messageContent } from './richtext.js';
import { ScreenShare } from './screen.js';
import { Call } from './call.js';
import { Cobrowse } from './cobrowse.js';

const $ = (id) => document.getElementById(id);
const app = $('app');
const cfg = {
  mode: app.dataset.mode,
  key: app.dataset.key,
  slug: app.dataset.slug,
  company: app.dataset.company,
  // invite is the code of a technician's invitation (/widget/join): the
  // form then joins that session instead of opening a request.
  invite: app.dataset.invite || '',
};

// The API lives at /api/widget/ next to /widget/assets/, wherever relaydesk
// is mounted.
const api = (path) => new URL('../../api/widget/' + path, import.meta.url);
const storageKey = 'relaydesk.token.' + cfg.slug;
const declinedKey = storageKey + '.sysinfo-declined';

const el = {
  status: $('status'),
  error: $('error'),
  loading: $('loading'),
  openView: $('open-view'),
  openForm: $('open-form'),
  email: $('email'),
  name: $('name'),
  message: $('message'),
  open: $('open'),
  chatView: $('chat-view'),
  dropzone: $('dropzone'),
  messages: $('messages'),
  upload: $('upload'),
  uploadLabel: $('upload-label'),
  progress: $('upload-progress'),
  sysinfo: $('sysinfo'),
  sysinfoText: $('sysinfo-text'),
  sysinfoAllow: $('sysinfo-allow'),
  sysinfoDecline: $('sysinfo-decline'),
  ended: $('ended'),
  endedText: $('ended-text'),
  newRequest: $('new-request'),
  composerForm: $('composer-form'),
  composer: $('composer'),
  file: $('file'),
  send: $('send'),
  policy: $('policy'),
  leave: $('leave'),
  footer: $('chat-footer'),
  closePanel: $('close-panel'),
  typing: $('typing'),
  newBelow: $('new-below'),
  hideChat: $('hide-chat'),
  composerError: $('composer-error'),
};

// phone is a call: the ringing card, the call panel, the media.
const phone = new Call({
  els: {
    ring: $('call-ring'), ringText: $('call-ring-text'), video: $('call-video'), audio: $('call-audio'),
    decline: $('call-decline'), panel: $('call-panel'), remote: $('call-remote'), local: $('call-local'),
    mute: $('call-mute'), camera: $('call-camera'), hangup: $('call-hangup'), status: $('call-status'),
  },
  post: (answer) => call('POST', 'call', { answer }),
  send: (f) => {
    const ws = live.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(f));
    return true;
  },
  changed: () => update(),
  error: (msg) => showError(msg),
  recording: () => screen.recording === 'on',
});

// screen is the screen share: the ask, the banner, the media.
const screen = new ScreenShare({
  els: {
    ask: $('screen-ask'), askText: $('screen-ask-text'), share: $('screen-share'), decline: $('screen-decline'),
    banner: $('screen-banner'), bannerText: $('screen-banner-text'), stop: $('screen-stop'),
    recordAsk: $('record-ask'), recordAskText: $('record-ask-text'), recordAllow: $('record-allow'),
    recordDecline: $('record-decline'), recordBadge: $('record-badge'), recordStop: $('record-stop'),
  },
  post: (answer, info) => call('POST', 'screen', { answer, screen: info }),
  postRecording: (answer) => call('POST', 'recording', { answer }),
  send: (f) => {
    const ws = live.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(f));
    return true;
  },
  changed: () => update(),
  info: () => systemInfo(),
  inCall: () => phone.state === 'live' && phone.mine,
  error: (msg) => showError(msg),
  keepalive: (answer) => fetch(api('screen'), {
    method: 'POST', keepalive: true, credentials: 'omit',
    headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: JSON.stringify({ answer }),
  }).catch(() => {}),
});

// cobrowse is co-browsing of the page the widget sits on: the ask, the
// banner, and the relay of the host page's events.
const cobrowse = new Cobrowse({
  els: {
    ask: $('cobrowse-ask'), askText: $('cobrowse-ask-text'), show: $('cobrowse-show'), decline: $('cobrowse-decline'),
    banner: $('cobrowse-banner'), stop: $('cobrowse-stop'),
  },
  post: (answer) => call('POST', 'cobrowse', { answer }),
  send: (f) => {
    const ws = live.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(f));
    return true;
  },
  changed: () => update(),
  error: (msg) => showError(msg),
  embedded: cfg.mode === 'frame' && window.parent !== window,
});

const state = {
  token: null,
  number: 0,
  status: '',
  chat: '',
  left: false,
  technician: '',
  policy: null,
  // lastRseq is how far the event stream has been read: every event up to
  // it has been handled. Reconnects resume after it.
  lastRseq: 0,
  // rendered maps the rseq of every chat line shown to its element, so a
  // line is never shown twice (a message appears as soon as it is sent and
  // again when its event arrives).
  rendered: new Map(),
  sysinfoAsk: null, // the unanswered sysinfo.requested event
  // baseline is the last rseq of the request when it was loaded: only what
  // comes after it is news worth a badge on the closed widget.
  baseline: 0,
  sending: false,
  // unsent is the message last composed but not known to be stored, with
  // its Idempotency-Key: sending the same text again reuses the key, so a
  // retry after a lost answer is stored once.
  unsent: null,
  uploading: false,
  // editing is the customer's message being edited in the composer:
  // {id, key, body}, the key reused for a retry of the same text.
  editing: null,
  visible: cfg.mode !== 'frame',
};

class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// ---- storage ---------------------------------------------------------------

function storageGet(k) {
  try { return localStorage.getItem(k); } catch { return null; }
}

function storageSet(k, v) {
  try {
    if (v == null) localStorage.removeItem(k);
    else localStorage.setItem(k, v);
  } catch { /* storage blocked: the chat lasts as long as the page */ }
}

// ---- API -------------------------------------------------------------------

function authHeaders() {
  return state.token ? { Authorization: 'Bearer ' + state.token } : {};
}

async function call(method, path, body, headers = {}) {
  const init = { method, headers: { ...authHeaders(), ...headers }, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(api(path), init);
  } catch {
    throw new ApiError(0, 'relaydesk cannot be reached. Check your connection and try again.');
  }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    throw new ApiError(res.status, data?.error?.message || `The server answered ${res.status}.`, data?.error?.code);
  }
  return data;
}

// ---- views -----------------------------------------------------------------

let errorTimer = 0;

function showError(msg) {
  el.error.textContent = msg;
  el.error.hidden = !msg;
  clearTimeout(errorTimer);
  if (msg) errorTimer = setTimeout(() => { el.error.hidden = true; }, 12000);
}

// ---- inline validation ------------------------------------------------------------

// sentence makes a server's refusal ("an e-mail address is required") read
// as a sentence under a field.
// A first word with a dot is a file name, which keeps its case.
function sentence(msg) {
  if (!msg) return '';
  const s = msg.split(/\s/, 1)[0].includes('.') ? msg : msg.charAt(0).toUpperCase() + msg.slice(1);
  return /[.!?…]$/.test(s) ? s : s + '.';
}

// fieldError shows msg under a field of the start form (or clears it) and
// marks the field invalid for assistive technology. The message element
// is the field's aria-describedby.
function fieldError(input, msg) {
  const p = $(input.id + '-error');
  p.textContent = sentence(msg);
  p.hidden = !msg;
  if (msg) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

// composerError shows a refusal next to the composer: a file the company
// does not take, one too large, sending too fast. about says it is about
// the text in the composer, which is then marked invalid.
function composerError(msg, about = false) {
  el.composerError.textContent = sentence(msg);
  el.composerError.hidden = !msg;
  if (msg && about) el.composer.setAttribute('aria-invalid', 'true');
  else el.composer.removeAttribute('aria-invalid');
}

// The start form's checks, in plain words. The server checks again; these
// only save a round trip and say what is wrong where it is wrong.
function emailProblem(v) {
  if (!v) return 'Enter your e-mail address, so that we can answer you if the chat is interrupted.';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) || !el.email.checkValidity()) {
    return `"${v}" does not look like an e-mail address. It should look like name@example.com.`;
  }
  return '';
}

function messageProblem(v) {
  return v ? '' : 'Tell us what is wrong, so that a technician can start helping you.';
}

const checks = () => [
  [el.email, () => emailProblem(el.email.value.trim())],
  ...(el.message ? [[el.message, () => messageProblem(el.message.value.trim())]] : []),
];

// validOpenForm shows every problem of the start form at once and moves
// the focus to the first field that has one.
function validOpenForm() {
  let first = null;
  for (const [input, problem] of checks()) {
    const p = problem();
    fieldError(input, p);
    if (p && !first) first = input;
  }
  first?.focus();
  return !first;
}

// serverFieldError puts a refusal of the start form under the field it is
// about, when it says which; otherwise it is shown at the top.
function serverFieldError(err) {
  const m = err.message.toLowerCase();
  const input = err.status === 400 && (/e-mail|email/.test(m) ? el.email : /name/.test(m) ? el.name : /message/.test(m) ? el.message : null);
  if (!input) {
    showError(err.message);
    return;
  }
  fieldError(input, err.message);
  input.focus();
}

function wireValidation() {
  for (const [input, problem] of checks()) {
    // Once a field has been told it is wrong, it is told as soon as it is
    // right; before that, only on leaving it with something in it.
    input.addEventListener('input', () => {
      if (input.getAttribute('aria-invalid') === 'true') fieldError(input, problem());
    });
    // Leaving a field only adds a message, never takes one away: the
    // form must not move under a pointer on its way to the button.
    input.addEventListener('blur', () => {
      const p = input.value.trim() ? problem() : '';
      if (p) fieldError(input, p);
    });
  }
  el.name.addEventListener('input', () => fieldError(el.name, ''));
  el.composer.addEventListener('input', () => {
    if (el.composer.getAttribute('aria-invalid') === 'true') composerError('');
  });
}

function showView(name) {
  el.loading.hidden = name !== 'loading';
  el.openView.hidden = name !== 'open';
  el.chatView.hidden = name !== 'chat';
}

function showOpen() {
  state.token = null;
  for (const input of [el.email, el.name, el.message]) if (input) fieldError(input, '');
  clearChat();
  el.status.textContent = 'Support';
  showView('open');
  el.open.disabled = false;
  if (state.visible) el.email.focus();
}

function clearChat() {
  stopLive();
  composerError('');
  el.newBelow.hidden = true;
  if (state.editing) stopEdit();
  clearTyping();
  el.messages.replaceChildren();
  for (const u of objectURLs.splice(0)) URL.revokeObjectURL(u);
  following = true;
  state.rendered.clear();
  state.lastRseq = 0;
  state.number = 0;
  state.status = state.chat = state.technician = '';
  state.left = false;
  state.sysinfoAsk = null;
  state.baseline = 0;
  el.sysinfo.hidden = true;
  screen.release();
  screen.load('', false, '', '');
  phone.release();
  phone.load('', false, '');
  cobrowse.load('', false, '');
}

// enterChat shows a request: its messages at once, then the event stream
// from the start fills in the notices between them and follows.
function enterChat(v) {
  clearChat();
  applyRequest(v.request);
  state.baseline = v.last_rseq || 0;
  showView('chat');
  for (const m of v.messages || []) renderMessage(m);
  scrollToEnd(true);
  update();
  connect();
  if (state.visible) focusChat();
}

function applyRequest(r) {
  state.number = r.number;
  state.status = r.status;
  state.chat = r.chat;
  state.left = !!r.left;
  state.technician = r.technician || '';
  state.policy = r.company;
  screen.load(r.screen || '', !!r.screen_mine, r.technician || '', r.recording || '');
  phone.load(r.call || '', !!r.call_mine, r.technician || '');
  cobrowse.load(r.cobrowse || '', !!r.cobrowse_mine, r.technician || '');
  const p = r.company;
  el.file.accept = p.allowed_exts.join(',');
  el.policy.textContent = `Files up to ${formatBytes(p.max_file_bytes)}${p.images_only ? ', images only' : ''}`;
  el.policy.title = 'Accepted file types: ' + p.allowed_exts.join(' ');
}

function closedOrLeft() {
  return state.status === 'completed' || state.left;
}

// update brings the status line and the controls in line with the state.
function update() {
  const n = state.number ? `Request #${state.number} · ` : '';
  let s;
  if (state.status === 'completed') s = 'closed';
  else if (state.left) s = 'you left the chat';
  else if (state.chat === 'live') s = `${state.technician || 'a technician'} is in the chat`;
  else if (state.chat === 'ended') s = 'the chat has ended';
  else s = 'waiting for a technician';
  el.status.textContent = n + s;

  const off = closedOrLeft();
  el.composer.disabled = off;
  el.send.disabled = off || state.sending;
  el.file.disabled = off || state.uploading;
  el.leave.disabled = off;
  el.composerForm.hidden = off;
  el.footer.hidden = off;
  el.ended.hidden = !off;
  // A closed chat, or one the customer left, is what it is: no more edits.
  for (const b of el.messages.querySelectorAll('.msg-edit')) b.hidden = off;
  if (off && state.editing) stopEdit();
  if (off) {
    el.endedText.textContent = state.status === 'completed'
      ? `This request is closed. Thank you for contacting ${cfg.company}.`
      : 'You left this chat.';
  }
  const ask = state.sysinfoAsk;
  const declined = Number(storageGet(declinedKey + '.' + state.number) || 0);
  el.sysinfo.hidden = !ask || off || ask.rseq <= declined;
  if (ask) {
    el.sysinfoText.textContent = `${ask.actor_name || 'Your technician'} asks to see your system information: ` +
      'device type, operating system, browser and language. Allow?';
  }
  screen.render(off);
  phone.render(off);
  cobrowse.render(off);
}

// ---- rendering ---------------------------------------------------------------

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toDateString() === new Date().toDateString() ? timeFormat.format(d) : dateTimeFormat.format(d);
}

function formatBytes(n) {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0)} MB`;
  if (n >= 1 << 10) return `${Math.round(n / (1 << 10))} KB`;
  return `${n} bytes`;
}

function nearEnd() {
  const m = el.messages;
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
}

// following is whether the reader is at the end of the chat, so that a
// picture that loads brings the end back into view. Only the reader
// scrolling up clears it: the chat also scrolls when content above the
// view changes size (the browser keeps what is in view where it is), and
// those scroll events come a frame late, after pictures may have grown.
let following = true;
let lastTop = 0;

function scrollToEnd(force) {
  if (!force && !nearEnd()) return;
  el.messages.scrollTop = el.messages.scrollHeight;
  following = true;
  el.newBelow.hidden = true;
}

function scrolled() {
  const top = el.messages.scrollTop;
  if (top < lastTop) following = nearEnd();
  else if (nearEnd()) following = true;
  lastTop = top;
  if (nearEnd()) el.newBelow.hidden = true;
}

// insert places a line by rseq: streams and optimistic renders may arrive
// in any order, the chat is always in log order.
function insert(li, rseq) {
  const stick = nearEnd();
  li.dataset.rseq = String(rseq);
  state.rendered.set(rseq, li);
  let before = null;
  for (let c = el.messages.lastElementChild; c; c = c.previousElementSibling) {
    if (Number(c.dataset.rseq) > rseq) before = c;
    else break;
  }
  el.messages.insertBefore(li, before);
  group(li);
  group(li.nextElementSibling);
  scrollToEnd(stick);
  // The reader scrolled up to read something earlier: say that more came
  // below rather than pull them away from it.
  if (!stick && !before && !li.classList.contains('mine')) el.newBelow.hidden = false;
}

// removeLine takes a line out of the chat; the line after it may now
// start a group.
function removeLine(li) {
  const next = li.nextElementSibling;
  li.remove();
  group(next);
}

// ---- grouping --------------------------------------------------------------------

// Consecutive messages of one author within groupGap of each other form a
// group: the name and avatar show once, on its first line. Notices (a
// technician joined, the chat ended) break groups.
const groupGap = 5 * 60 * 1000;

function group(li) {
  if (!li || !li.classList.contains('msg')) return;
  const prev = li.previousElementSibling;
  const gap = Number(li.dataset.at) - Number(prev?.dataset.at);
  li.classList.toggle('grouped', !!prev && prev.classList.contains('msg') &&
    prev.dataset.author === li.dataset.author && Math.abs(gap) < groupGap);
}

// authorKey says who wrote a line, for grouping and for the avatar's colour.
function authorKey(m) {
  return m.mine ? 'me' : `${m.author_kind}:${m.author_name || ''}`;
}

function initials(name) {
  const words = name.replace(/[^\p{L}\p{N}\s]/gu, ' ').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  const first = (w) => Array.from(w)[0].toUpperCase();
  return words.length === 1 ? first(words[0]) : first(words[0]) + first(words[words.length - 1]);
}

// avatar is an author's initials in a circle whose colour comes from the
// author, so it stays the same across lines, reloads and visits.
const avatarColours = 8;

function avatar(key, name) {
  let h = 0;
  for (const c of key) h = (h * 31 + c.codePointAt(0)) >>> 0;
  const a = document.createElement('span');
  a.className = `msg-avatar avatar-${h % avatarColours}`;
  a.setAttribute('aria-hidden', 'true');
  a.textContent = initials(name);
  return a;
}

// meta is the small line under a bubble: its time, and for the customer's
// own lines whether it was sent and an Edit button.
function meta(...children) {
  const d = document.createElement('div');
  d.className = 'msg-meta';
  d.append(...children);
  return d;
}

function renderMessage(m) {
  if (state.rendered.has(m.rseq)) return;
  const li = document.createElement('li');
  li.className = `msg msg-${m.author_kind}`;
  if (m.mine) li.classList.add('mine');
  if (m.direct) li.classList.add('direct');
  li.dataset.testid = 'message';
  li.dataset.id = m.id;
  li.dataset.author = authorKey(m);
  li.dataset.at = String(new Date(m.created_at).getTime() || Date.now());
  const name = m.author_name || (m.author_kind === 'technician' ? 'Technician' : 'Customer');
  const author = document.createElement('span');
  author.className = 'msg-author';
  author.textContent = m.mine ? 'You' : name;
  const bubble = document.createElement('div');
  bubble.className = 'msg-bubble';
  if (m.withdrawn) bubble.append(withdrawnText());
  else if (m.file?.image) {
    bubble.classList.add('has-preview');
    bubble.append(preview(m.file), fileLink(m.file));
  } else if (m.file) bubble.append(fileLink(m.file));
  else bubble.append(messageContent(m.doc, m.body));
  const time = document.createElement('time');
  time.className = 'msg-time';
  time.dateTime = m.created_at;
  time.textContent = formatTime(m.created_at);
  time.title = new Date(m.created_at).toLocaleString();
  const info = meta(time);
  if (!m.mine) li.append(avatar(li.dataset.author, name));
  li.append(author, bubble, info);
  if (m.withdrawn) li.classList.add('withdrawn');
  else if (m.version > 1) info.append(editedMark());
  if (m.mine) info.append(sendStatus('sent'));
  li.dataset.version = String(m.version || 1);
  if (m.mine && !m.file && !m.withdrawn) {
    bodies.set(li, m.body || '');
    offerEdit(li, m);
  }
  insert(li, m.rseq);
  if (!m.mine) notifyUnread(m.rseq);
}

// ---- edits and withdrawals ---------------------------------------------------------

// The customer may edit their own text for this long after sending it; the
// server decides (core.CustomerEditWindow) and refuses a late edit.
const editWindow = 15 * 60 * 1000;

// bodies holds the text as written of the customer's own lines, which the
// composer edits (the bubble shows it rendered).
const bodies = new WeakMap();

function withdrawnText() {
  const w = document.createElement('em');
  w.className = 'msg-withdrawn';
  w.dataset.testid = 'withdrawn';
  w.textContent = 'message withdrawn';
  return w;
}

function editedMark() {
  const e = document.createElement('span');
  e.className = 'msg-edited';
  e.dataset.testid = 'edited';
  e.textContent = 'edited';
  return e;
}

// offerEdit adds an Edit button to one of the customer's own text messages
// while the edit window lasts.
function offerEdit(li, m) {
  const left = new Date(m.created_at).getTime() + editWindow - Date.now();
  if (!(left > 0) || closedOrLeft()) return;
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'msg-edit';
  b.dataset.testid = 'edit';
  b.textContent = 'Edit';
  b.setAttribute('aria-label', 'Edit your message');
  b.addEventListener('click', () => startEdit(li));
  li.querySelector('.msg-meta').append(b);
  setTimeout(() => b.remove(), left);
}

// lineOf is the chat line of a message ID.
function lineOf(id) {
  if (!id) return null;
  for (const li of state.rendered.values()) if (li.dataset.id === id) return li;
  return null;
}

// reviseLine applies an edit or a withdrawal to the line it concerns:
// the text replaced in place and marked edited, or the line says the
// message was withdrawn, its text and file gone.
function reviseLine(ev) {
  const li = lineOf(ev.message_id);
  if (!li) return;
  const bubble = li.querySelector('.msg-bubble');
  if (ev.type === 'chat.withdrawn' || ev.withdrawn) {
    li.classList.add('withdrawn');
    bubble.replaceChildren(withdrawnText());
    li.querySelector('.msg-edited')?.remove();
    li.querySelector('.msg-edit')?.remove();
    if (state.editing?.id === ev.message_id) stopEdit();
    return;
  }
  if (li.classList.contains('withdrawn') || Number(li.dataset.version || 1) >= (ev.version || 2)) return;
  li.dataset.version = String(ev.version || 2);
  bubble.replaceChildren(messageContent(ev.doc, ev.body));
  if (bodies.has(li)) bodies.set(li, ev.body || '');
  if (!li.querySelector('.msg-edited')) li.querySelector('.msg-time').after(editedMark());
}

// startEdit puts one of the customer's messages into the composer; sending
// then saves it as the message's new text.
function startEdit(li) {
  const text = bodies.get(li) || '';
  state.editing = { id: li.dataset.id, key: newKey(), body: null };
  el.composer.value = text;
  el.send.textContent = 'Save';
  el.composerForm.classList.add('editing');
  fitComposer();
  el.composer.focus();
}

function stopEdit() {
  state.editing = null;
  el.send.textContent = 'Send';
  el.composerForm.classList.remove('editing');
  el.composer.value = '';
  fitComposer();
}

// saveEdit sends the edit under its own Idempotency-Key, reused when the
// same text is saved again after a failure.
async function saveEdit(body) {
  const ed = state.editing;
  if (ed.body !== null && ed.body !== body) ed.key = newKey();
  ed.body = body;
  state.sending = true;
  update();
  try {
    const m = await call('PATCH', 'messages/' + encodeURIComponent(ed.id), { body }, { 'Idempotency-Key': ed.key });
    showError('');
    if (state.editing === ed) stopEdit();
    reviseLine({ type: 'chat.edited', message_id: m.id, body: m.body, doc: m.doc, version: m.version });
  } catch (err) {
    showError(err.message);
    if (err.status === 401) lostToken();
    else if (err.status === 409 || err.status === 404 || err.status === 403) {
      // Too late (or no longer possible): the Edit button goes.
      lineOf(ed.id)?.querySelector('.msg-edit')?.remove();
      if (state.editing === ed) stopEdit();
    }
  } finally {
    state.sending = false;
    update();
    if (!closedOrLeft()) el.composer.focus();
  }
}

// sendStatus marks one of the customer's own messages: sending, sent, or
// not sent with a Retry button (which sends it again under the same
// Idempotency-Key, so it is stored once however often it is pressed).
function sendStatus(st, retry) {
  const s = document.createElement('span');
  s.className = 'msg-status ' + st;
  s.dataset.testid = 'send-status';
  s.dataset.state = st;
  s.textContent = { sending: 'Sending…', sent: '✓ Sent', failed: 'Not sent' }[st];
  if (retry) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'retry';
    b.dataset.testid = 'retry';
    b.textContent = 'Retry';
    b.addEventListener('click', retry);
    s.append(' · ', b);
  }
  return s;
}

// fileLink is a file as a chip: its name, which downloads it, and its size.
function fileLink(f) {
  const wrap = document.createElement('span');
  wrap.className = 'file-chip';
  const a = document.createElement('a');
  a.className = 'file-link';
  a.href = '#';
  a.textContent = f.name;
  a.dataset.fileId = f.id;
  a.dataset.testid = 'file-link';
  a.setAttribute('download', f.name);
  a.addEventListener('click', (e) => download(e, a, f));
  const size = document.createElement('span');
  size.className = 'file-size';
  size.textContent = ` (${formatBytes(f.size)})`;
  wrap.append(a, size);
  return wrap;
}

// fileURL fetches a file with the token and makes it an object URL: the
// token never appears in a URL, a history entry or a log.
const objectURLs = [];

async function fileURL(f) {
  let res;
  try {
    res = await fetch(api('files/' + encodeURIComponent(f.id)), { headers: authHeaders(), credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'The file could not be downloaded. Check your connection and try again.');
  }
  if (!res.ok) {
    let msg = `The file could not be downloaded (${res.status}).`;
    try { msg = (await res.json()).error.message || msg; } catch { /* keep the generic message */ }
    throw new ApiError(res.status, msg);
  }
  const u = URL.createObjectURL(await res.blob());
  objectURLs.push(u);
  return u;
}

// download hands the browser the file as an object URL.
async function download(e, a, f) {
  if (a.dataset.ready) return; // the object URL is in place: let the click through
  e.preventDefault();
  if (a.getAttribute('aria-busy') === 'true') return;
  a.setAttribute('aria-busy', 'true');
  try {
    a.href = await fileURL(f);
    a.download = f.name;
    a.dataset.ready = 'true';
    a.click();
  } catch (err) {
    showError(err.message);
  } finally {
    a.removeAttribute('aria-busy');
  }
}

// preview is an image file shown as a picture, which opens in full in a
// new tab. The file needs the token, so the page fetches it itself once the
// preview comes near the view (what loading="lazy" does for a plain URL,
// and cannot for a picture that is not in the page yet).
// A picture that cannot be fetched or shown leaves just the file's link.
function preview(f) {
  const a = document.createElement('a');
  a.className = 'preview-link';
  a.target = '_blank';
  a.rel = 'noopener';
  a.dataset.testid = 'preview';
  a.setAttribute('aria-label', `Open ${f.name}`);
  unseen.set(a, f);
  if (previews) previews.observe(a);
  else showPreview(a);
  return a;
}

const unseen = new WeakMap(); // a preview not fetched yet -> its file

const previews = 'IntersectionObserver' in window
  ? new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      previews.unobserve(e.target);
      showPreview(e.target);
    }
  }, { root: el.messages, rootMargin: '300px' })
  : null;

async function showPreview(a) {
  const f = unseen.get(a);
  unseen.delete(a);
  try {
    const u = await fileURL(f);
    const img = document.createElement('img');
    img.className = 'preview';
    img.alt = f.name;
    // The picture replaces its placeholder once loaded, and the chat
    // scrolls in the same step: no frame shows the end out of view.
    img.addEventListener('load', () => {
      const stick = following;
      a.href = u;
      a.append(img);
      if (stick) scrollToEnd(true);
    });
    img.addEventListener('error', () => a.remove());
    img.src = u;
  } catch {
    a.remove();
  }
}

function noticeText(ev) {
  const who = ev.actor_name || 'A technician';
  switch (ev.type) {
    case 'request.created':
      return ev.actor_kind === 'customer'
        ? `Request #${ev.number} opened. A technician will answer you here.`
        : `${who} started this support session.`;
    case 'chat.joined': return `${who} joined the chat`;
    case 'chat.ended': return 'The chat has ended';
    case 'request.closed': return 'Request closed';
    case 'technician.invited': return `${ev.technician_name || 'A technician'} joined the chat, invited by ${who}`;
    case 'request.transferred': return `${who} handed your request over to ${ev.technician_name || 'a colleague'}`;
    case 'technician.left': return `${who} left the chat`;
    case 'request.unassigned': return `${who} left the chat. Your request is waiting for the next available technician`;
    case 'customer.left': return ev.mine ? 'You left the chat' : `${ev.actor_name || 'A customer'} left the chat`;
    case 'customer.joined': return ev.mine ? 'You joined the chat' : `${ev.actor_name || 'A customer'} joined the chat`;
    case 'screenshare.requested': return `${who} would like to see your screen`;
    case 'screenshare.started': return ev.mine ? 'You are sharing your screen' : `${ev.actor_name || 'A customer'} is sharing their screen`;
    case 'screenshare.declined': return ev.mine ? 'You chose not to share your screen' : `${ev.actor_name || 'A customer'} chose not to share their screen`;
    case 'screenshare.stopped': return 'Screen sharing has ended';
    case 'recording.requested': return `${who} asks to record your shared screen`;
    case 'recording.allowed': return ev.mine ? 'You allowed the recording: it is on' : `${ev.actor_name || 'A customer'} allowed the recording`;
    case 'recording.declined': return ev.mine ? 'You declined the recording' : `${ev.actor_name || 'A customer'} declined the recording`;
    case 'recording.stopped': return 'Recording stopped';
    case 'call.started': return `${who} is calling you`;
    case 'call.answered': return ev.mine ? 'You answered the call' : `${ev.actor_name || 'A customer'} answered the call`;
    case 'call.declined': return ev.mine ? 'You declined the call' : `${ev.actor_name || 'A customer'} declined the call`;
    case 'call.ended': return 'The call ended';
    case 'cobrowse.requested': return `${who} would like to see the page you are on`;
    case 'cobrowse.started': return ev.mine ? 'You are showing this page' : `${ev.actor_name || 'A customer'} is showing their page`;
    case 'cobrowse.declined': return ev.mine ? 'You chose not to show this page' : `${ev.actor_name || 'A customer'} chose not to show their page`;
    case 'cobrowse.stopped': return ev.note ? `Co-browsing has ended: ${ev.note}` : 'Co-browsing has ended';
    case 'sysinfo.requested': return `${who} asks for your system information`;
    case 'sysinfo.provided': return ev.mine ? 'You shared your system information' : `${ev.actor_name || 'A customer'} shared their system information`;
  }
  return '';
}

const importantNotices = new Set(['chat.joined', 'chat.ended', 'request.closed', 'sysinfo.requested', 'screenshare.requested', 'call.started']);

function renderNotice(ev) {
  const text = noticeText(ev);
  if (!text) return;
  const li = document.createElement('li');
  li.className = 'notice';
  if (importantNotices.has(ev.type)) li.classList.add('notice-important');
  li.dataset.type = ev.type;
  li.dataset.testid = 'notice';
  li.textContent = text;
  if (ev.created_at) li.title = formatTime(ev.created_at);
  insert(li, ev.rseq);
}

// applyEvent keeps the state in step with the log.
function applyEvent(ev) {
  if (ev.status) state.status = ev.status;
  switch (ev.type) {
    case 'chat.joined':
      state.chat = 'live';
      state.technician = ev.actor_name || state.technician;
      break;
    case 'chat.ended':
      state.chat = 'ended';
      break;
    case 'request.closed':
      state.status = 'completed';
      if (state.chat === 'live') state.chat = 'ended';
      break;
    case 'request.unassigned':
      state.chat = 'waiting';
      state.technician = '';
      break;
    case 'request.transferred':
      state.technician = ev.technician_name || state.technician;
      break;
    case 'customer.left':
      if (ev.mine) state.left = true;
      break;
    case 'sysinfo.requested':
      state.sysinfoAsk = ev;
      break;
    case 'call.started':
    case 'call.answered':
    case 'call.declined':
    case 'call.ended':
      phone.event(ev);
      break;
    case 'screenshare.requested':
    case 'screenshare.started':
    case 'screenshare.declined':
    case 'screenshare.stopped':
    case 'recording.requested':
    case 'recording.allowed':
    case 'recording.declined':
    case 'recording.stopped':
      screen.event(ev);
      break;
    case 'cobrowse.requested':
    case 'cobrowse.started':
    case 'cobrowse.declined':
    case 'cobrowse.stopped':
      cobrowse.event(ev);
      break;
    case 'sysinfo.provided':
      if (ev.mine) state.sysinfoAsk = null;
      break;
  }
}

function handleEvent(ev) {
  if (ev.rseq <= state.lastRseq) return; // handled already, from the other stream
  state.lastRseq = ev.rseq;
  applyEvent(ev);
  if (ev.type === 'chat.edited' || ev.type === 'chat.withdrawn') {
    reviseLine(ev);
    return;
  }
  if (state.rendered.has(ev.rseq)) {
    if (ev.withdrawn) reviseLine(ev);
    return;
  }
  if (ev.type === 'chat.message' || ev.type === 'chat.file') {
    if (!ev.mine) hideTyping(ev.actor_kind + ':' + ev.actor_name);
    renderMessage({
      id: ev.message_id, rseq: ev.rseq, author_kind: ev.actor_kind, author_name: ev.actor_name,
      mine: ev.mine, direct: ev.direct, body: ev.body, doc: ev.doc, file: ev.file, created_at: ev.created_at,
      version: ev.version, withdrawn: ev.withdrawn,
    });
  } else {
    renderNotice(ev);
    if (ev.type === 'sysinfo.requested' || ev.type === 'chat.joined') notifyUnread(ev.rseq);
  }
}

function applyFrame(f) {
  for (const ev of f.events || []) handleEvent(ev);
  const next = Number.parseInt(f.next, 10);
  if (next > state.lastRseq) state.lastRseq = next;
  update();
}

// ---- typing ----------------------------------------------------------------------

// Someone else writing shows for typingShown after their last signal, or
// until a message of theirs arrives. A customer learns names, not IDs: a
// typist is known by kind and name.
const typingShown = 6000;
const typingEvery = 2000;
const typists = new Map(); // "kind:name" -> {name, timer}
let typingSent = 0;
let typingRefused = false;

function showTyping(t) {
  if (!t || !t.name) return;
  const k = t.actor_kind + ':' + t.name;
  const had = typists.get(k);
  if (had) clearTimeout(had.timer);
  typists.set(k, { name: t.name, timer: setTimeout(() => hideTyping(k), typingShown) });
  // The line is announced once per appearance of a person, not per frame.
  if (!had) renderTyping();
}

function hideTyping(k) {
  const had = typists.get(k);
  if (!had) return;
  clearTimeout(had.timer);
  typists.delete(k);
  renderTyping();
}

function clearTyping() {
  for (const t of typists.values()) clearTimeout(t.timer);
  typists.clear();
  typingRefused = false;
  renderTyping();
}

function renderTyping() {
  const names = Array.from(typists.values(), (t) => t.name);
  // The line keeps its place when empty, so the chat above never jumps,
  // and stays in the accessibility tree, so a polite live region announces
  // the text when it appears.
  el.typing.dataset.active = String(names.length > 0);
  el.typing.textContent = names.length === 0 ? ''
    : names.length === 1 ? `${names[0]} is typing…`
      : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are typing…`;
}

// typed tells the technicians the customer is writing: at most one call
// per typingEvery while the composer has text, fire and forget. A refusal
// (the chat closed, the customer left) stops the calls until the page
// loads the chat again.
function typed() {
  if (!el.composer.value.trim() || state.editing || typingRefused || closedOrLeft() || !state.token) return;
  const now = Date.now();
  if (now - typingSent < typingEvery) return;
  typingSent = now;
  call('POST', 'typing').catch((err) => {
    if (err.status === 403 || err.status === 409) typingRefused = true;
  });
}

// ---- live updates: WebSocket, long polling while it is down -------------------

const live = {
  gen: 0, // bumped by connect and stopLive: callbacks of older connections do nothing
  ws: null,
  wsTimer: 0,
  wsDelay: 1000,
  pollId: 0,
  pollSeq: 0,
  pollCtl: null,
};

function socketURL() {
  const u = api('live');
  u.protocol = u.protocol.replace('http', 'ws'); // the http(s) scheme becomes ws(s)
  return u;
}

function connect() {
  stopLive();
  const gen = live.gen;
  live.wsDelay = 1000;
  openSocket(gen);
}

function stopLive() {
  live.gen++;
  clearTimeout(live.wsTimer);
  stopPolling();
  if (live.ws) {
    const ws = live.ws;
    live.ws = null;
    ws.close();
  }
}

function openSocket(gen) {
  if (gen !== live.gen || !state.token) return;
  let ws;
  try {
    ws = new WebSocket(socketURL());
  } catch {
    startPolling(gen);
    retrySocket(gen);
    return;
  }
  live.ws = ws;
  ws.addEventListener('open', () => {
    if (gen !== live.gen) return;
    // Resume from the last event seen, so nothing is missed or shown twice.
    ws.send(JSON.stringify({ after: String(state.lastRseq), token: state.token }));
    live.wsDelay = 1000;
    stopPolling();
    // A screen shared before the socket dropped is sent again.
    screen.join();
    phone.join();
    cobrowse.join();
  });
  ws.addEventListener('message', (e) => {
    if (gen !== live.gen) return;
    let f;
    try { f = JSON.parse(e.data); } catch { return; }
    if (f.type === 'events') applyFrame(f);
    else if (f.type === 'typing') showTyping(f.typing);
    else if (f.type === 'rtc' && f.body) (f.body.session === 'call' ? phone : screen).frame(f.body);
    else if (f.type === 'cobrowse' && f.body) cobrowse.frame(f.body);
    // An error frame is followed by the server closing the socket; the long
    // poll then says whether the token is still good.
  });
  ws.addEventListener('close', () => {
    if (gen !== live.gen) return;
    if (live.ws === ws) live.ws = null;
    startPolling(gen);
    retrySocket(gen);
  });
}

function retrySocket(gen) {
  clearTimeout(live.wsTimer);
  const delay = live.wsDelay * (0.75 + Math.random() / 2);
  live.wsDelay = Math.min(live.wsDelay * 2, 30000);
  live.wsTimer = setTimeout(() => openSocket(gen), delay);
}

function startPolling(gen) {
  if (live.pollId) return;
  const id = ++live.pollSeq;
  live.pollId = id;
  poll(gen, id);
}

function stopPolling() {
  live.pollId = 0;
  if (live.pollCtl) live.pollCtl.abort();
  live.pollCtl = null;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll(gen, id) {
  let delay = 0;
  while (live.pollId === id && gen === live.gen && state.token) {
    const ctl = new AbortController();
    live.pollCtl = ctl;
    try {
      const res = await fetch(api('events?after=' + state.lastRseq), {
        headers: authHeaders(), credentials: 'omit', cache: 'no-store', signal: ctl.signal,
      });
      if (res.status === 401) {
        lostToken();
        return;
      }
      if (!res.ok) throw new Error(String(res.status));
      const f = await res.json();
      if (live.pollId !== id || gen !== live.gen) return;
      if (f.type === 'typing') showTyping(f.typing);
      else applyFrame(f);
      delay = 0;
    } catch {
      if (ctl.signal.aborted) return;
      delay = Math.min(delay ? delay * 2 : 1000, 30000);
      await sleep(delay);
    }
  }
}

function lostToken() {
  storageSet(storageKey, null);
  showOpen();
  showError('Your previous chat is no longer available. You can start a new one here.');
}

// ---- actions -------------------------------------------------------------------

async function resume(token, attempt = 0) {
  state.token = token;
  showView('loading');
  try {
    enterChat(await call('GET', 'request'));
  } catch (err) {
    if (state.token !== token) return; // another tab or the form took over meanwhile
    if (err.status === 401) {
      lostToken();
      return;
    }
    showError(err.message);
    setTimeout(() => { if (state.token === token) resume(token, attempt + 1); }, Math.min(1000 * 2 ** attempt, 30000));
  }
}

async function openRequest(e) {
  e.preventDefault();
  if (!validOpenForm()) return;
  el.open.disabled = true;
  showError('');
  try {
    const who = { email: el.email.value.trim(), name: el.name.value.trim() };
    const v = cfg.invite
      ? await call('POST', 'join', { code: cfg.invite, ...who })
      : await call('POST', 'requests', { key: cfg.key, ...who, message: el.message.value });
    state.token = v.token;
    storageSet(storageKey, v.token);
    el.openForm.reset();
    if (cfg.invite) {
      // The invitation is used: from now on this is the company's portal,
      // and the code leaves the address bar and the history.
      cfg.invite = '';
      history.replaceState(null, '', portalURL());
    }
    enterChat(v);
  } catch (err) {
    serverFieldError(err);
  } finally {
    el.open.disabled = false;
  }
}

async function sendMessage(e) {
  e.preventDefault();
  const body = el.composer.value.trim();
  if (!body && e.submitter === el.send && !state.sending) {
    composerError('Write a message first, or send a file with the paper clip.', true);
    el.composer.focus();
    return;
  }
  if (!body || state.sending || closedOrLeft()) return;
  if (state.editing) {
    await saveEdit(body);
    return;
  }
  if (state.unsent?.body !== body) state.unsent = { body, key: newKey() };
  const { key } = state.unsent;
  el.composer.value = '';
  fitComposer();
  await deliver(body, key, pendingLine(body));
}

// pendingLine shows a message the customer sent before the server took it.
function pendingLine(body) {
  const li = document.createElement('li');
  li.className = 'msg msg-customer mine pending';
  li.dataset.testid = 'pending-message';
  li.dataset.author = 'me';
  li.dataset.at = String(Date.now());
  const author = document.createElement('span');
  author.className = 'msg-author';
  author.textContent = 'You';
  const bubble = document.createElement('div');
  bubble.className = 'msg-bubble';
  bubble.textContent = body;
  li.append(author, bubble, meta(sendStatus('sending')));
  el.messages.append(li);
  group(li);
  scrollToEnd(true);
  return li;
}

// deliver posts a message shown as pending. When the server could not be
// reached or failed, the line stays, marked not sent, with a Retry; when it
// refused the message (too long, the chat ended), the text goes back into
// the composer with the reason.
async function deliver(body, key, li) {
  state.sending = true;
  update();
  li.querySelector('.msg-status').replaceWith(sendStatus('sending'));
  try {
    const m = await call('POST', 'messages', { body }, { 'Idempotency-Key': key });
    if (state.unsent?.key === key) state.unsent = null;
    removeLine(li);
    showError('');
    composerError('');
    renderMessage(m);
    scrollToEnd(true);
  } catch (err) {
    if (err.status === 0 || err.status === 429 || err.status >= 500) {
      li.querySelector('.msg-status').replaceWith(sendStatus('failed', () => { if (!state.sending) deliver(body, key, li); }));
      li.classList.add('failed');
      if (err.status === 429) composerError(err.message);
      else showError(err.message);
      scrollToEnd(true);
    } else {
      removeLine(li);
      if (!el.composer.value) {
        el.composer.value = body;
        fitComposer();
      }
      composerError(err.message, true);
      if (err.status === 401) lostToken();
      else if (err.status === 409) refresh();
    }
  } finally {
    state.sending = false;
    update();
    if (!closedOrLeft()) el.composer.focus();
  }
}

// newKey is a random Idempotency-Key. crypto.getRandomValues works on plain
// http pages too, where crypto.randomUUID does not exist.
function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// refresh reloads the request's state after a refusal that says it changed.
async function refresh() {
  try {
    const v = await call('GET', 'request');
    applyRequest(v.request);
    update();
  } catch { /* the stream will tell */ }
}

function fitComposer() {
  const lines = el.composer.value.split('\n').length;
  el.composer.rows = Math.min(Math.max(lines, 1), 5);
}

async function leave() {
  el.leave.disabled = true;
  try {
    await call('POST', 'leave');
    state.left = true;
  } catch (err) {
    showError(err.message);
    if (err.status === 409) refresh();
  }
  update();
}

function portalURL() {
  return new URL('../../c/' + encodeURIComponent(cfg.slug), import.meta.url).href;
}

function startOver() {
  storageSet(storageKey, null);
  if (!el.message) {
    // The page was an invitation, whose form has no message field.
    location.assign(portalURL());
    return;
  }
  showOpen();
}

// ---- files ----------------------------------------------------------------------

function fileProblem(f) {
  const p = state.policy;
  if (!p) return '';
  const dot = f.name.lastIndexOf('.');
  const ext = dot > 0 ? f.name.slice(dot).toLowerCase() : '';
  if (!ext || !p.allowed_exts.includes(ext)) {
    return `${f.name} cannot be sent: ${p.images_only ? 'only images can be sent from this device' : 'allowed file types are ' + p.allowed_exts.join(' ')}.`;
  }
  if (f.size > p.max_file_bytes) {
    return `${f.name} is ${formatBytes(f.size)}; files may be at most ${formatBytes(p.max_file_bytes)}.`;
  }
  if (f.size === 0) return `${f.name} is empty.`;
  return '';
}

let uploads = Promise.resolve();

function sendFiles(files) {
  for (const f of files) {
    if (closedOrLeft()) {
      showError('This chat is over; files can no longer be sent.');
      return;
    }
    const problem = fileProblem(f);
    if (problem) {
      composerError(problem);
      continue;
    }
    composerError('');
    uploads = uploads.then(() => uploadFile(f));
  }
}

function uploadFile(f) {
  return new Promise((resolve) => {
    state.uploading = true;
    update();
    el.upload.hidden = false;
    el.uploadLabel.textContent = `Sending ${f.name}`;
    el.progress.value = 0;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', api('files'));
    xhr.setRequestHeader('Authorization', 'Bearer ' + state.token);
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) el.progress.value = Math.round((e.loaded / e.total) * 100);
    });
    const done = (err) => {
      state.uploading = false;
      el.upload.hidden = true;
      if (err) composerError(err);
      update();
      resolve();
    };
    xhr.addEventListener('load', () => {
      if (xhr.status === 201 && xhr.response) {
        el.progress.value = 100;
        renderMessage(xhr.response.message);
        scrollToEnd(true);
        done('');
        return;
      }
      if (xhr.status === 401) lostToken();
      done(xhr.response?.error?.message || `${f.name} could not be sent (${xhr.status}).`);
    });
    xhr.addEventListener('error', () => done(`${f.name} could not be sent. Check your connection and try again.`));
    xhr.addEventListener('abort', () => done(''));
    const form = new FormData();
    form.append('file', f, f.name);
    xhr.send(form);
  });
}

function wireDrop() {
  let depth = 0;
  const hasFiles = (e) => Array.from(e.dataTransfer?.types || []).includes('Files');
  el.dropzone.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    el.dropzone.classList.add('dragging');
  });
  el.dropzone.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = closedOrLeft() ? 'none' : 'copy';
  });
  el.dropzone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) el.dropzone.classList.remove('dragging');
  });
  el.dropzone.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    el.dropzone.classList.remove('dragging');
    if (e.dataTransfer?.files?.length) sendFiles(e.dataTransfer.files);
  });
  // A file dropped next to the chat must not replace the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}

// ---- system information -----------------------------------------------------------

function systemInfo() {
  const ua = navigator.userAgent;
  const touchMac = navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1;
  let os = '';
  if (/iPad/.test(ua) || touchMac) os = 'iPadOS';
  else if (/iPhone|iPod/.test(ua)) os = 'iOS';
  else if (/Android/.test(ua)) os = 'Android';
  else if (/CrOS/.test(ua)) os = 'ChromeOS';
  else if (/Windows/.test(ua)) os = 'Windows';
  else if (/Macintosh|Mac OS X/.test(ua)) os = 'macOS';
  else if (/Linux|X11/.test(ua)) os = 'Linux';

  const browsers = [
    [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
    [/(?:OPR|OPT|OPiOS)\/(\d+)/, 'Opera'],
    [/(?:Edg|EdgA|EdgiOS)\/(\d+)/, 'Edge'],
    [/(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
    [/(?:HeadlessChrome|Chrome|CriOS)\/(\d+)/, 'Chrome'],
    [/Version\/(\d+(?:\.\d+)?).*Safari\//, 'Safari'],
  ];
  let browser = '';
  for (const [re, name] of browsers) {
    const m = re.exec(ua);
    if (m) {
      browser = `${name} ${m[1]}`;
      break;
    }
  }

  let device = 'desktop';
  if (os === 'iPadOS' || /Tablet|Kindle|Silk\//.test(ua) || (os === 'Android' && !/Mobile/.test(ua))) device = 'tablet';
  else if (os === 'iOS' || os === 'Android' || /Mobi/.test(ua)) device = 'mobile';

  return { device, os, browser, language: navigator.language || '' };
}

async function allowSysinfo() {
  el.sysinfoAllow.disabled = true;
  try {
    await call('POST', 'sysinfo', systemInfo());
    state.sysinfoAsk = null;
  } catch (err) {
    showError(err.message);
    // 409: answered already (in another tab) or the request closed.
    if (err.status === 409) state.sysinfoAsk = null;
  } finally {
    el.sysinfoAllow.disabled = false;
    update();
  }
}

function declineSysinfo() {
  if (state.sysinfoAsk) storageSet(declinedKey + '.' + state.number, String(state.sysinfoAsk.rseq));
  state.sysinfoAsk = null;
  update();
  el.composer.focus();
}

// ---- the widget's frame ---------------------------------------------------------------

// In the widget the chat sits in an iframe on a customer's site. It tells the
// host script to close it (Esc, the close button) and that something new
// arrived while it was closed; the messages carry no data.
function toHost(type) {
  if (cfg.mode === 'frame' && window.parent !== window) window.parent.postMessage({ type }, '*');
}

function notifyUnread(rseq) {
  if (!state.visible && rseq > state.baseline) toHost('relaydesk:unread');
}

function focusChat() {
  if (!el.chatView.hidden && !el.composer.disabled) el.composer.focus();
  else if (!el.openView.hidden) el.email.focus();
  else if (!el.ended.hidden) el.newRequest.focus();
}

function wireFrame() {
  if (cfg.mode !== 'frame') return;
  el.closePanel.hidden = false;
  el.closePanel.addEventListener('click', () => toHost('relaydesk:close'));
  // On a phone the widget fills the screen: a second close button sits
  // at the bottom, where a thumb reaches it (and says, next to Leave chat,
  // that closing the widget does not end the chat).
  el.hideChat.hidden = false;
  el.hideChat.addEventListener('click', () => toHost('relaydesk:close'));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') toHost('relaydesk:close');
  });
  window.addEventListener('message', (e) => {
    if (e.source !== window.parent || typeof e.data !== 'object' || !e.data) return;
    if (e.data.type === 'relaydesk:open') {
      state.visible = true;
      focusChat();
    } else if (e.data.type === 'relaydesk:closed') {
      state.visible = false;
    }
  });
}

// ---- start -------------------------------------------------------------------------

function wire() {
  el.openForm.addEventListener('submit', openRequest);
  el.composerForm.addEventListener('submit', sendMessage);
  el.composer.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.editing) {
      e.stopPropagation();
      stopEdit();
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      el.composerForm.requestSubmit();
    }
  });
  el.composer.addEventListener('input', () => {
    fitComposer();
    typed();
  });
  el.file.addEventListener('change', () => {
    if (el.file.files.length) sendFiles(el.file.files);
    el.file.value = '';
  });
  el.leave.addEventListener('click', leave);
  el.newBelow.addEventListener('click', () => {
    scrollToEnd(true);
    el.composer.focus();
  });
  wireValidation();
  el.newRequest.addEventListener('click', startOver);
  el.sysinfoAllow.addEventListener('click', allowSysinfo);
  el.sysinfoDecline.addEventListener('click', declineSysinfo);
  wireDrop();
  wireFrame();
  // Another tab opened a new request or started over: follow it.
  window.addEventListener('storage', (e) => {
    if (e.key !== storageKey || e.newValue === state.token) return;
    if (e.newValue) resume(e.newValue);
    else showOpen();
  });
  el.messages.addEventListener('scroll', scrolled);
  // Back online: do not wait for the next backoff step.
  window.addEventListener('online', () => { if (state.token && !live.ws) connect(); });
}

// fitViewport keeps the page as tall as what is visible: on a phone the
// on-screen keyboard shrinks the visual viewport, and the composer must
// stay above it (browsers without dvh support for the keyboard).
function fitViewport() {
  const vv = window.visualViewport;
  if (!vv) return;
  const set = () => document.documentElement.style.setProperty('--vvh', `${Math.round(vv.height)}px`);
  vv.addEventListener('resize', set);
  set();
}

wire();
fitViewport();
// A link a chat platform sent (Telegram's "Share my screen") carries the
// customer's web token in its fragment, which never reaches a server: it
// is kept like a token of this page's own, and taken out of the address.
const linked = new URLSearchParams(location.hash.slice(1)).get('token');
if (linked && cfg.mode === 'portal') {
  storageSet(storageKey, linked);
  history.replaceState(null, '', location.pathname + location.search);
}
const saved = cfg.invite ? null : storageGet(storageKey);
if (saved) resume(saved);
else showOpen();
