// The conversation: a request's chat lines, kept at the end while the
// reader is there, with a marker for what arrived out of sight and for what
// the technician has not read yet; the technician's own lines can be edited
// and withdrawn.
import { api, el, fmtBytes, fmtTime, toast } from './common.js';
import { messageContent } from './richtext.js';
import { $, newKey, state } from './state.js';

let hooks = { refresh: () => {}, seen: () => {} };

export function initTimeline(h) {
  hooks = h;
  $('new-below').addEventListener('click', () => toEnd());
  // The chat's box changes size when the header wraps, the composer shows
  // or grows, or the window changes: a reader at the end stays there.
  new ResizeObserver(() => { if (following) toEnd(); }).observe($('messages'));
}

// following is whether the reader is at the end of the chat, so that a
// picture that loads brings the end back into view. Only the reader
// scrolling up clears it: the chat also scrolls when content above the
// view changes size (the browser keeps what is in view where it is), and
// those scroll events come a frame late, after pictures may have grown.
let following = true;
let lastTop = 0;
const atEnd = (box) => box.scrollHeight - box.scrollTop - box.clientHeight < 40;

export function toEnd() {
  const box = $('messages');
  box.scrollTop = box.scrollHeight;
  following = true;
  $('new-below').hidden = true;
  hooks.seen();
}

// atChatEnd reports whether the newest line is in view: only then has the
// technician seen it.
export const atChatEnd = () => following || atEnd($('messages'));

$('messages').addEventListener('scroll', (e) => {
  const box = e.target;
  if (box.scrollTop < lastTop) following = atEnd(box);
  else if (atEnd(box)) following = true;
  lastTop = box.scrollTop;
  if (following && !$('new-below').hidden) {
    $('new-below').hidden = true;
    hooks.seen();
  }
});

// renderTimeline shows a request's timeline. For the request already shown
// it appends only the new lines, so the live region announces just those;
// of the lines shown, only their delivery marks change.
let shownRSeq = 0;
let deliveryTimer = 0;
export const shownUpTo = () => shownRSeq;

export function renderTimeline(lines, first, readRSeq) {
  const box = $('messages');
  const atBottom = first || following || atEnd(box);
  if (first) {
    box.replaceChildren(...lines.map(renderLine));
    if (!lines.length) box.append(el('li', { class: 'notice empty-chat' }, 'No messages yet.'));
    // What the customer wrote since the technician last looked.
    const firstUnread = readRSeq === undefined ? null
      : lines.find((l) => l.rseq > readRSeq && l.author_kind === 'customer' && l.kind !== 'notice');
    if (firstUnread) {
      box.querySelector(`li[data-rseq="${firstUnread.rseq}"]`)?.before(
        el('li', { class: 'unread-divider', dataset: { testid: 'unread-divider' } }, el('span', {}, 'New messages')));
    }
  } else {
    const fresh = lines.filter((l) => l.rseq > shownRSeq);
    if (fresh.length) box.querySelector('.empty-chat')?.remove();
    box.append(...fresh.map(renderLine));
    if (fresh.length && !atBottom) $('new-below').hidden = false;
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
    deliveryTimer = setTimeout(() => { if (state.openId === id) hooks.refresh(id); }, 2000);
  }
  renderHistory(lines);
  if (atBottom) toEnd();
  else if (first) $('new-below').hidden = true;
}

// renderHistory lists the request's events (the notices of its timeline)
// in the information pane, newest first.
function renderHistory(lines) {
  const notices = lines.filter((l) => l.kind === 'notice').reverse();
  $('d-history').replaceChildren(...notices.map((l) => el('li', {},
    el('time', { datetime: l.at, title: new Date(l.at).toLocaleString() }, fmtTime(l.at)), ' ', l.body)));
  if (!notices.length) $('d-history').append(el('li', { class: 'muted' }, 'Nothing yet.'));
}

export function renderLine(l) {
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
    // A recording of a screen share plays here.
    if (f.content_type === 'video/webm') li.append(el('video', { class: 'preview', src: f.url, controls: true, preload: 'metadata', dataset: { testid: 'recording' } }));
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
      if (state.openId === id) hooks.refresh(id);
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
    if (state.openId === id) hooks.refresh(id);
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

