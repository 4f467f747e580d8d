// The composer: a reply to the customer or a private note, a file by
// picker or by dropping it on the conversation, and the typing signal.
import { api, csrf, el, toast } from './common.js';
import { $, availability, newKey, state } from './state.js';

let hooks = { refresh: () => {}, feedback: () => {} };

export function initComposer(h) {
  hooks = h;
  $('composer-form').addEventListener('submit', send);
  $('composer').addEventListener('keydown', (e) => {
    // Enter sends; so does Ctrl+Enter (or Cmd+Enter), which also sends from
    // a box where Enter would start a new line elsewhere.
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || !e.shiftKey) && !e.isComposing) {
      e.preventDefault();
      $('composer-form').requestSubmit();
    }
  });
  $('composer').addEventListener('input', typed);
  for (const r of document.querySelectorAll('input[name="mode"]')) r.addEventListener('change', syncComposer);
  $('file').addEventListener('change', () => upload($('file').files[0]));
  wireDrop();
}

// setMode switches between a reply and a note and puts the cursor in the box.
export function setMode(mode) {
  const want = mode === 'note' ? $('note-toggle') : $('mode-reply');
  if (want.disabled || $('composer-form').hidden) return;
  want.checked = true;
  syncComposer();
  $('composer').focus();
}

// wireDrop sends a file dropped anywhere on the conversation, when files
// may be sent.
function wireDrop() {
  const zone = $('conversation');
  let depth = 0;
  const canDrop = (e) => state.detail?.can_message && [...(e.dataTransfer?.types || [])].includes('Files');
  zone.addEventListener('dragenter', (e) => {
    if (!canDrop(e)) return;
    depth++;
    zone.classList.add('dropping');
  });
  zone.addEventListener('dragleave', () => {
    if (--depth <= 0) {
      depth = 0;
      zone.classList.remove('dropping');
    }
  });
  zone.addEventListener('dragover', (e) => {
    if (canDrop(e)) e.preventDefault();
  });
  zone.addEventListener('drop', (e) => {
    depth = 0;
    zone.classList.remove('dropping');
    if (!canDrop(e)) return;
    e.preventDefault();
    const f = e.dataTransfer.files[0];
    if (f) upload(f);
  });
}

export function renderComposer(d, first) {
  const form = $('composer-form');
  form.hidden = !(d.can_message || d.can_note);
  const toggle = $('note-toggle');
  const reply = $('mode-reply');
  if (first) reply.checked = true;
  if (!d.can_message) {
    toggle.checked = true;
    reply.disabled = true;
  } else if (reply.disabled) {
    // Notes were the only choice until now (the chat was not joined):
    // once the technician may write to the customer, that is the default.
    reply.disabled = false;
    reply.checked = true;
  }
  const to = $('to');
  const keep = to.value;
  to.replaceChildren(el('option', { value: '' }, 'Everyone in the chat'),
    ...d.customers.filter((p) => p.active).map((p) => el('option', { value: p.id }, p.name)));
  to.value = [...to.options].some((o) => o.value === keep) ? keep : '';
  syncComposer();
}

export function syncComposer() {
  const d = state.detail;
  const note = $('note-toggle').checked;
  $('composer-form').classList.toggle('note-mode', note);
  $('to').disabled = note || !d?.can_message;
  $('file').disabled = note || !d?.can_message;
  $('composer').placeholder = note
    ? 'Private note: only technicians see it. Enter saves it.'
    : 'Write to the customer. Enter sends, Shift+Enter starts a new line.';
  $('send').textContent = note ? 'Add note' : 'Send';
  $('composer-hint').textContent = d && !d.can_message ? nextStep(d) : '';
}

// nextStep says what the technician must do before writing to the
// customer: the step the request is waiting for, not a generic rule.
function nextStep(d) {
  const r = d.request;
  const can = new Set(d.actions);
  if (r.status === 'completed') return 'The request is closed: only private notes.';
  if (r.status === 'new' && !r.owner_id) {
    return availability() === 'available' ? 'Assign it to yourself to write to the customer.' : 'Set yourself Available, then assign it to yourself to write to the customer.';
  }
  if (can.has('join') && r.chat === 'ended') return 'The chat ended: close the request, or join again to write to the customer.';
  if (can.has('join')) return 'Join the chat to write to the customer; private notes are always possible.';
  if (r.owner_id !== state.me) return `${r.owner || 'Its owner'} is handling this request; private notes reach the technicians.`;
  return 'Private notes reach the technicians only.';
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
    hooks.refresh(id);
  } catch (err) {
    toast(err.message, { error: true });
  } finally {
    $('send').disabled = false;
    box.focus();
  }
}

function upload(file) {
  if (!state.detail?.can_message) return;
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
      hooks.feedback(`${file.name} sent.`);
      hooks.refresh(id);
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

const typingEvery = 2000;
let typingSent = { id: '', at: 0 };

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

