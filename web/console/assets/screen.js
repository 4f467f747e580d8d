// The screen viewer: while the open request's customer shares their
// screen, its owner and the technicians invited into the chat watch it
// here, above the chat. The media comes from relaydesk over WebRTC; its
// set-up rides on the console's live WebSocket as "rtc" frames. The
// viewer only receives: it sends the customer nothing.
import { $, state } from './state.js';

let send = () => false;

// view is the share being watched: {id, pc, early, hidden}, or null.
let view = null;

export function initScreen(h) {
  send = h.send;
  $('screen-hide').addEventListener('click', () => {
    if (!view) return;
    view.hidden = true;
    leave();
    render('Hidden. The customer still shares their screen.');
  });
  $('screen-watch').addEventListener('click', () => {
    if (!view) return;
    view.hidden = false;
    join();
  });
}

// mayWatch: the owner and the invited technicians still in the chat.
function mayWatch(d) {
  const r = d.request;
  if (r.screen !== 'live') return false;
  if (r.owner_id === state.me) return true;
  return (d.technicians || []).some((t) => t.id === state.me && t.role === 'collaborator' && t.active);
}

// watchScreen follows the open request's details: the viewer opens when a
// share goes live and closes when it ends or the request is left.
export function watchScreen(d) {
  $('screen-recording').hidden = !(d && d.request.recording === 'on');
  const id = d && mayWatch(d) ? d.request.id : null;
  if (view && view.id === id) return;
  if (view) {
    leave();
    view = null;
  }
  $('screen-viewer').hidden = !id;
  $('screen-video').srcObject = null;
  if (!id) return;
  view = { id, pc: null, early: [], hidden: false };
  join();
}

// screenRejoin joins again after the live socket reconnected: the server
// let the old connection go with the old socket.
export function screenRejoin() {
  if (view && !view.hidden) join();
}

// joinRetry is how long a join may go unanswered (the process holding
// the share went away) before it is sent again.
const joinRetry = 8000;
let joinTimer = 0;

function join() {
  closePC();
  render('Connecting…');
  if (!send({ type: 'rtc', request: view.id, op: 'join' })) render('Waiting for the live connection…');
  clearTimeout(joinTimer);
  const v = view;
  joinTimer = setTimeout(() => { if (view === v && !v.hidden) join(); }, joinRetry);
}

function leave() {
  clearTimeout(joinTimer);
  if (!view) return;
  send({ type: 'rtc', request: view.id, op: 'leave' });
  closePC();
}

function closePC() {
  if (view?.pc) view.pc.close();
  if (view) {
    view.pc = null;
    view.early = [];
  }
}

function render(status) {
  $('screen-status').textContent = status;
  $('screen-watch').hidden = !view?.hidden;
  $('screen-hide').hidden = !!view?.hidden;
  $('screen-video').hidden = !!view?.hidden;
}

// screenFrame acts on an rtc frame's body.
export async function screenFrame(body) {
  if (!view || body.request !== view.id || view.hidden) return;
  if (body.op === 'joined' || body.op === 'error') clearTimeout(joinTimer);
  switch (body.op) {
    case 'joined':
      connect(body.ice_servers || []);
      render('Waiting for the screen…');
      break;
    case 'signal':
      await signal(body.msg || {});
      break;
    case 'error':
      render(body.error);
      break;
  }
}

function connect(iceServers) {
  closePC();
  const v = view;
  const pc = new RTCPeerConnection({ iceServers });
  v.pc = pc;
  pc.addEventListener('icecandidate', (e) => {
    if (e.candidate && v.pc === pc) send({ type: 'rtc', request: v.id, op: 'signal', msg: { kind: 'candidate', candidate: e.candidate.toJSON() } });
  });
  pc.addEventListener('track', (e) => {
    const video = $('screen-video');
    video.srcObject = e.streams[0] || new MediaStream([e.track]);
    render('Live');
  });
  pc.addEventListener('connectionstatechange', () => {
    if (v.pc !== pc) return;
    if (pc.connectionState === 'failed') join();
    else if (pc.connectionState === 'connected') render('Live');
  });
}

async function signal(msg) {
  const v = view;
  const pc = v.pc;
  if (!pc) return;
  switch (msg.kind) {
    case 'offer':
      await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      for (const c of v.early) await pc.addIceCandidate(c).catch(() => {});
      v.early = [];
      await pc.setLocalDescription(await pc.createAnswer());
      if (v.pc === pc) send({ type: 'rtc', request: v.id, op: 'signal', msg: { kind: 'answer', sdp: pc.localDescription.sdp } });
      break;
    case 'candidate':
      if (!pc.remoteDescription) v.early.push(msg.candidate);
      else await pc.addIceCandidate(msg.candidate).catch(() => {});
      break;
    case 'stop':
      closePC();
      render(msg.reason === 'opened in another window' ? 'Watched in another window.' : 'The screen share has ended.');
      break;
  }
}
