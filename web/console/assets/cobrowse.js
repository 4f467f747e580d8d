// The co-browsing viewer: while the open request's customer shows the page
// the widget sits on, its owner and the invited technicians still in the
// chat watch it here, above the chat, replayed live by rrweb from the DOM
// changes the customer's page sends ("cobrowse" frames on the console's
// live WebSocket). It is view-only: the replay's iframe runs no script and
// takes no input; a click on it only shows the customer where the
// technician points.
import { $, state } from './state.js';

let send = () => false;
let assetURL = '';
let styleURL = '';

// view is the page being watched: {id, hidden, replayer, parts, started}.
let view = null;

export function initCobrowse(h) {
  send = h.send;
  assetURL = h.rrweb;
  styleURL = h.rrwebCSS;
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
  // Pointing: a click on the replay is sent as a point on the customer's
  // page (in the page's own CSS pixels); nothing else goes back.
  $('cobrowse-stage').addEventListener('click', (e) => {
    const frame = view?.replayer?.iframe;
    if (!frame) return;
    const box = frame.getBoundingClientRect();
    const scale = box.width / (frame.offsetWidth || 1);
    const x = (e.clientX - box.left) / scale;
    const y = (e.clientY - box.top) / scale;
    if (x < 0 || y < 0 || x > frame.offsetWidth || y > frame.offsetHeight) return;
    send({ type: 'cobrowse', request: view.id, op: 'point', x: Math.round(x), y: Math.round(y) });
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
  if (!id) return;
  view = { id, hidden: false, replayer: null, parts: new Map(), started: false };
  join();
}

// cobrowseRejoin watches again after the live socket reconnected.
export function cobrowseRejoin() {
  if (view && !view.hidden) join();
}

function join() {
  dropReplay();
  render('Connecting…');
  loadRecorder().then(() => {
    if (view && !view.hidden && !send({ type: 'cobrowse', request: view.id, op: 'watch' })) {
      render('Waiting for the live connection…');
    }
  }, () => render('The replay could not be loaded.'));
}

function leave() {
  if (!view) return;
  send({ type: 'cobrowse', request: view.id, op: 'leave' });
  dropReplay();
}

function dropReplay() {
  if (!view) return;
  if (view.replayer) {
    try { view.replayer.destroy(); } catch { /* gone already */ }
  }
  view.replayer = null;
  view.parts.clear();
  $('cobrowse-stage').replaceChildren();
}

let loading = null;

// loadRecorder loads rrweb, served by this console (script-src 'self'),
// the first time a page is watched.
function loadRecorder() {
  if (window.rrweb) return Promise.resolve();
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = styleURL;
      document.head.append(css);
      const s = document.createElement('script');
      s.src = assetURL;
      s.onload = () => resolve();
      s.onerror = () => { loading = null; reject(new Error('rrweb')); };
      document.head.append(s);
    });
  }
  return loading;
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
      dropReplay();
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

const FULL_SNAPSHOT = 2;

function replay(events) {
  if (!view.replayer) {
    // The replay starts at a full snapshot (and its meta event just
    // before it); what came earlier cannot be shown.
    const at = events.findIndex((e) => e.type === FULL_SNAPSHOT);
    if (at < 0) return;
    const first = at > 0 && events[at - 1].type === 4 ? at - 1 : at;
    events = events.slice(first);
    const stage = $('cobrowse-stage');
    view.replayer = new window.rrweb.Replayer([], {
      root: stage, liveMode: true, mouseTail: false, triggerFocus: false, insertStyleRules: [],
      UNSAFE_replayCanvas: false, showWarning: false,
    });
    view.replayer.on('resize', () => fit());
    // The customer's clock is not ours: time runs from their first event.
    view.replayer.startLive(events[0].timestamp - 200);
    view.replayer.disableInteract();
    render('Live (view only; click to point)');
  }
  for (const e of events) view.replayer.addEvent(e);
  fit();
}

// fit scales the replay to the pane's width.
function fit() {
  const r = view?.replayer;
  if (!r?.iframe) return;
  const stage = $('cobrowse-stage');
  const w = r.iframe.offsetWidth || 1;
  const h = r.iframe.offsetHeight || 1;
  const scale = Math.min(1, stage.clientWidth / w);
  r.wrapper.style.transform = `scale(${scale})`;
  r.wrapper.style.transformOrigin = '0 0';
  stage.style.height = Math.ceil(h * scale) + 'px';
}
