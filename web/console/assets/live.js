// The live feed of the Support Center: the log's events (over a WebSocket,
// or long polling where sockets do not get through) and who is typing.
import { api, ApiError, toast } from './common.js';
import { loadMine, loadQueue } from './queue.js';
import { $, availability, state } from './state.js';

let hooks = { open: () => {}, rtc: () => {}, cobrowse: () => {}, reconnected: () => {} };
let socket = null; // the live WebSocket while it is open

// sendFrame writes a frame on the live WebSocket; false when it is down
// (long polling carries nothing from the page).
export function sendFrame(f) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(f));
  return true;
}

export function initLive(h) {
  hooks = h;
}

// Someone writing in a request's chat shows under that request's chat for
// typingShown after their last signal, or until a message of theirs
// arrives. Typists are keyed by request and actor ID.
const typingShown = 6000;
const typists = new Map(); // "request/actor" -> {request, name, timer}

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

export function renderTyping() {
  const names = [...typists.values()].filter((t) => t.request === state.openId).map((t) => t.name);
  const line = $('typing');
  line.hidden = names.length === 0;
  line.textContent = names.length === 0 ? ''
    : names.length === 1 ? `${names[0]} is typing…`
      : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are typing…`;
}

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
  if (ev.type === 'technician.invited' && ev.data?.technician_id === state.me) notifyInvited(ev);
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 200);
}

function refresh() {
  const ids = new Set(pending);
  pending.clear();
  loadQueue({ keep: true });
  loadMine();
  if (state.openId && ids.has(state.openId)) hooks.open(state.openId, { quiet: true });
}

// notifyInvited tells a technician a colleague asked for their help.
async function notifyInvited(ev) {
  let what = 'a request';
  try {
    const d = await api('GET', '/console/api/requests/' + encodeURIComponent(ev.request_id));
    what = `request #${d.request.number} of ${d.request.company}`;
  } catch { /* the toast still says who asked */ }
  const msg = `${ev.data.actor_name || 'A colleague'} invited you to ${what}`;
  toast(msg, { onOpen: () => hooks.open(ev.request_id, { focus: true }), timeout: 15000 });
  systemNotification(msg, '', ev.request_id);
}

function notifyNew(ev) {
  const who = ev.data.customer_email || ev.data.customer_name || 'a customer';
  const msg = `New request #${ev.data.number} from ${who}`;
  toast(msg, { onOpen: () => hooks.open(ev.request_id, { focus: true }) });
  systemNotification(msg, ev.data.body || '', ev.request_id);
}

function systemNotification(msg, body, requestID) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  try {
    const n = new Notification('relaydesk: ' + msg, { body, tag: requestID });
    n.onclick = () => { window.focus(); hooks.open(requestID, { focus: true }); n.close(); };
  } catch { /* some browsers allow notifications from service workers only */ }
}

let socketFailures = 0;
let backoff = 1000;

export function banner(msg) {
  $('banner').hidden = !msg;
  $('banner').textContent = msg || '';
}

export function availabilityBanner() {
  const a = availability();
  return a === 'available' ? '' : `You are ${a}: New requests are hidden everywhere and you are not notified of them. Set your status to Available to take requests.`;
}

export function connect() {
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
    socket = ws;
    banner(availabilityBanner());
    hooks.reconnected();
  };
  ws.onmessage = (m) => {
    let fr;
    try { fr = JSON.parse(m.data); } catch { return; }
    if (fr.type === 'events') onFrame(fr);
    else if (fr.type === 'typing') showTyping(fr.typing);
    else if (fr.type === 'rtc' && fr.body) hooks.rtc(fr.body);
    else if (fr.type === 'cobrowse' && fr.body) hooks.cobrowse(fr.body);
    else if (fr.type === 'error' && /signed out|sign in/i.test(fr.error || '')) location.assign('/console/login');
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
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
