// The call panel: while the open request has a call, its owner and the
// technicians invited into the chat talk with the customer here, with
// their microphone and, if they have one, their camera. The media goes
// through relaydesk over WebRTC, set up on the console's live WebSocket.
import { RoomPeer, showStream } from './peer.js';
import { $, state } from './state.js';
import { toast } from './common.js';

let send = () => false;

// call is the open request's call: {id, peer, stream, joined}, or null.
let call = null;

export function initCall(h) {
  send = h.send;
  $('call-join').addEventListener('click', () => join());
  $('call-leave').addEventListener('click', () => leave());
  $('call-mute').addEventListener('click', () => toggle('audio'));
  $('call-camera').addEventListener('click', () => toggle('video'));
}

function mayTakePart(d) {
  const r = d.request;
  if (r.owner_id === state.me) return true;
  return (d.technicians || []).some((t) => t.id === state.me && t.role === 'collaborator' && t.active);
}

// watchCall follows the open request's details.
export function watchCall(d) {
  const r = d?.request;
  const id = r && r.call && mayTakePart(d) ? r.id : null;
  if (!id || (call && call.id !== id) || (call && r.call !== 'live')) {
    if (call) leave(true);
    call = null;
  }
  $('call-panel').hidden = !id;
  $('call-recording').hidden = !(id && r.call === 'live' && r.recording === 'on');
  if (!id) return;
  if (!call) call = { id, peer: null, stream: null, joined: false, auto: r.owner_id === state.me };
  if (r.call === 'live' && call.auto && !call.joined) {
    call.auto = false; // the owner takes part at once; after leaving, only by Join
    join();
  }
  render(r.call);
}

// callRejoin joins again after the live socket reconnected.
export function callRejoin() {
  if (call?.joined) send({ type: 'rtc', session: 'call', request: call.id, op: 'join', publish: true });
}

function render(callState) {
  const joined = !!call?.joined;
  $('call-status').textContent = callState === 'ringing' ? 'Ringing…' : (joined ? 'In the call' : 'The customer is in the call');
  $('call-join').hidden = joined || callState !== 'live';
  $('call-leave').hidden = !joined;
  const a = call?.stream?.getAudioTracks()[0];
  const v = call?.stream?.getVideoTracks()[0];
  $('call-mute').hidden = !a;
  $('call-mute').textContent = a && !a.enabled ? 'Unmute' : 'Mute';
  $('call-camera').hidden = !v;
  $('call-camera').textContent = v && !v.enabled ? 'Camera on' : 'Camera off';
}

async function join() {
  if (!call || call.joined) return;
  const c = call;
  try {
    c.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true })
      .catch(() => navigator.mediaDevices.getUserMedia({ audio: true }));
  } catch (err) {
    toast('The call needs your microphone: allow it in your browser. ' + (err?.message || ''), { error: true });
    return;
  }
  if (call !== c) {
    c.stream.getTracks().forEach((t) => t.stop());
    return;
  }
  c.joined = true;
  $('call-local').srcObject = c.stream;
  send({ type: 'rtc', session: 'call', request: c.id, op: 'join', publish: true });
  render('live');
}

function leave(quiet = false) {
  if (!call) return;
  if (call.joined) send({ type: 'rtc', session: 'call', request: call.id, op: 'leave' });
  if (call.peer) call.peer.close();
  if (call.stream) call.stream.getTracks().forEach((t) => t.stop());
  call.peer = null;
  call.stream = null;
  call.joined = false;
  $('call-local').srcObject = null;
  $('call-remote').replaceChildren();
  if (!quiet) render('live');
}

function toggle(kind) {
  const t = kind === 'audio' ? call?.stream?.getAudioTracks()[0] : call?.stream?.getVideoTracks()[0];
  if (t) t.enabled = !t.enabled;
  render('live');
}

// callFrame acts on an rtc frame of a call.
export async function callFrame(body) {
  if (!call || body.request !== call.id || !call.joined) return;
  switch (body.op) {
    case 'joined': {
      if (call.peer) call.peer.close();
      $('call-remote').replaceChildren();
      const c = call;
      const peer = new RoomPeer({
        iceServers: body.ice_servers || [],
        send: (msg) => send({ type: 'rtc', session: 'call', request: c.id, op: 'signal', msg }),
        onTrack: (track, stream) => showStream($('call-remote'), stream),
        onState: (s) => { if (s === 'failed' && c.peer === peer) callRejoin(); },
      });
      c.peer = peer;
      for (const t of c.stream.getTracks()) peer.addTrack(t, c.stream);
      break;
    }
    case 'signal':
      if (body.msg?.kind === 'stop') {
        if (call.peer) call.peer.close();
        call.peer = null;
        $('call-remote').replaceChildren();
      } else if (call.peer) {
        await call.peer.signal(body.msg || {}).catch(() => {});
      }
      break;
    case 'error':
      toast('The call could not connect: ' + body.error, { error: true });
      break;
  }
}
