// The co-browsing viewer: while the open request's customer shows the page
// the widget sits on, its owner and the invited technicians still in the
// chat watch it here, above the chat, replayed live by rrweb from the DOM
// changes the customer's page sends ("cobrowse" frames on the console's
// live WebSocket). The replay runs in a document of its own
// (/console/cobrowse/replay, assets/replay.js), whose policy lets the
// customer's page keep its inline styles. It is view-only: the rebuilt page
// runs no script and takes no input; a click on it only shows the customer
// where the technician points.
import { $, state } from './state.js';

let send = () => false;

// view is the page being watched: {id, hidden, frame, ready, waiting,
// parts, started}.
let view = null;

export function initCobrowse(h) {
  send = h.send;
  $('cobrowse-hide').addEventListener('click', () => {
    if (!view) return;
    view.hidden = true;
    leave();
    render('Hidden. The customer still shows their page.');
  });
  $('cobrowse-watch').addEventListener('click', () => {
    if (!view) return;
    view.hidden = false;
    join();
  });
}

function mayWatch(d) {
  const r = d.request;
  if (r.cobrowse !== 'live') return false;
  if (r.owner_id === state.me) return true;
  return (d.technicians || []).some((t) => t.id === state.me && t.role === 'collaborator' && t.active);
}

// watchCobrowse follows the open request's details: the viewer opens when
// co-browsing goes live and closes when it ends or the request is left.
export function watchCobrowse(d) {
  const id = d && mayWatch(d) ? d.request.id : null;
  if (view && view.id === id) return;
  if (view) {
    leave();
    view = null;
  }
  $('cobrowse-viewer').hidden = !id;
  if (!id) {
    $('cobrowse-stage').replaceChildren();
    return;
  }
  view = { id, hidden: false, frame: null, ready: false, waiting: [], parts: new Map(), started: false };
  join();
}

// cobrowseRejoin watches again after the live socket reconnected.
export function cobrowseRejoin() {
  if (view && !view.hidden) join();
}

function join() {
  newReplay();
  render('Connecting…');
  if (!send({ type: 'cobrowse', request: view.id, op: 'watch' })) render('Waiting for the live connection…');
}

function leave() {
  if (!view) return;
  send({ type: 'cobrowse', request: view.id, op: 'leave' });
  view.frame = null;
  $('cobrowse-stage').replaceChildren();
}

// newReplay frames a fresh replay document; events wait until it loaded.
function newReplay() {
  const v = view;
  const frame = document.createElement('iframe');
  frame.src = '/console/cobrowse/replay';
  frame.title = "The customer's page (view only)";
  frame.className = 'cobrowse-frame';
  frame.setAttribute('data-testid', 'cobrowse-frame');
  Object.assign(v, { frame, ready: false, waiting: [], started: false });
  v.parts.clear();
  frame.addEventListener('load', () => {
    const r = frame.contentWindow && frame.contentWindow.relaydeskReplay;
    if (v.frame !== frame || !r) return;
    r.onPoint = (x, y) => send({ type: 'cobrowse', request: v.id, op: 'point', x, y });
    r.onSize = (h) => { frame.style.height = h + 'px'; };
    v.ready = true;
    const waiting = v.waiting;
    v.waiting = [];
    for (const events of waiting) replay(events);
  });
  $('cobrowse-stage').replaceChildren(frame);
}

function render(status) {
  $('cobrowse-status').textContent = status;
  $('cobrowse-watch').hidden = !view?.hidden;
  $('cobrowse-hide').hidden = !!view?.hidden;
  $('cobrowse-stage').hidden = !!view?.hidden;
}

// cobrowseFrame acts on a cobrowse frame's body.
export function cobrowseFrame(body) {
  if (!view || body.request !== view.id || view.hidden) return;
  switch (body.op) {
    case 'watching':
      render('Waiting for the page…');
      break;
    case 'data':
      piece(body);
      break;
    case 'ended':
      leave();
      render('Co-browsing has ended.');
      break;
    case 'error':
      render(body.error);
      break;
  }
}

// piece gathers the pieces of one batch of events and replays it whole.
function piece(b) {
  let batch = view.parts.get(b.seq);
  if (!batch) {
    batch = new Array(b.parts);
    view.parts.set(b.seq, batch);
  }
  batch[b.part || 0] = b.data;
  for (let i = 0; i < batch.length; i++) if (batch[i] === undefined) return;
  view.parts.delete(b.seq);
  let events;
  try { events = JSON.parse(batch.join('')); } catch { return; }
  if (Array.isArray(events)) replay(events);
}

function replay(events) {
  if (!view.frame) return;
  if (!view.ready) {
    view.waiting.push(events);
    return;
  }
  const r = view.frame.contentWindow && view.frame.contentWindow.relaydeskReplay;
  if (r && r.add(events) && !view.started) {
    view.started = true;
    render('Live (view only; click to point)');
  }
}
