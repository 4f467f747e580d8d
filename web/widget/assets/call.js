// A call from the customer's side: the technician rings; the customer
// answers with video or with audio only (the microphone is required, the
// camera is optional), or declines. In the call, Mute and Camera act on
// what this browser sends, Hang up ends the call for everyone. Media goes
// through relaydesk over WebRTC, set up on the chat's live WebSocket.
import { RoomPeer, showStream } from './peer.js';

export class Call {
  // post(answer) calls POST /api/widget/call; send(frame) writes on the
  // live WebSocket; changed() redraws; error(msg) shows a problem.
  // recording() says the call is being recorded.
  constructor({ els, post, send, changed, error, recording }) {
    Object.assign(this, { els, post, send, changed, error, recording });
    this.state = ''; // '', 'ringing', 'live'
    this.mine = false; // this customer answered
    this.caller = '';
    this.stream = null; // the microphone (and camera) this page sends
    this.peer = null;
    this.busy = false;
    els.video.addEventListener('click', () => this.accept(true));
    els.audio.addEventListener('click', () => this.accept(false));
    els.decline.addEventListener('click', () => this.answer('decline'));
    els.hangup.addEventListener('click', () => this.answer('end'));
    els.mute.addEventListener('click', () => this.toggle('audio'));
    els.camera.addEventListener('click', () => this.toggle('video'));
    window.addEventListener('pagehide', () => this.release());
  }

  load(state, mine, technician) {
    this.state = state || '';
    this.mine = mine;
    this.caller = technician;
    // A reload dropped the microphone: the page answered, but sends nothing
    // until the customer hangs up or the call ends.
  }

  event(ev) {
    switch (ev.type) {
      case 'call.started':
        this.state = 'ringing';
        this.caller = ev.actor_name || 'Your technician';
        break;
      case 'call.answered':
        this.state = 'live';
        if (ev.mine) this.mine = true;
        break;
      case 'call.declined':
      case 'call.ended':
        this.state = '';
        this.mine = false;
        this.release();
        break;
      default:
        return false;
    }
    return true;
  }

  render(off) {
    const { els } = this;
    els.ring.hidden = !(this.state === 'ringing' && !off);
    if (!els.ring.hidden) {
      const can = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
      els.ringText.textContent = can ? `${this.caller || 'Your technician'} is calling you.`
        : `${this.caller || 'Your technician'} is calling you, but this browser cannot take calls.`;
      els.video.hidden = els.audio.hidden = !can;
      els.video.disabled = els.audio.disabled = this.busy;
    }
    els.panel.hidden = !(this.state === 'live' && this.mine && !off);
    if (!els.panel.hidden) {
      const a = this.stream?.getAudioTracks()[0];
      const v = this.stream?.getVideoTracks()[0];
      els.mute.textContent = a && !a.enabled ? 'Unmute' : 'Mute';
      els.mute.setAttribute('aria-pressed', String(!!a && !a.enabled));
      els.camera.hidden = !v;
      els.camera.textContent = v && !v.enabled ? 'Camera on' : 'Camera off';
      els.status.textContent = (this.recording() ? '● Recording. ' : '') + (this.stream ? '' : 'Answered in another window');
    }
  }

  // accept is the click on an answer button: the microphone (and camera)
  // first, then the answer, then the media.
  async accept(video) {
    if (this.busy) return;
    this.busy = true;
    this.changed();
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
    } catch (err) {
      if (video) {
        // No camera, or no permission for it: audio alone will do.
        try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch { /* below */ }
      }
      if (!stream) {
        this.busy = false;
        this.error('A call needs your microphone: allow it in your browser and answer again. ' + (err?.message || ''));
        this.changed();
        return;
      }
    }
    try {
      await this.post('accept');
    } catch (err) {
      stream.getTracks().forEach((t) => t.stop());
      this.busy = false;
      this.error(err.message);
      if (err.status === 409) this.state = '';
      this.changed();
      return;
    }
    this.busy = false;
    this.stream = stream;
    this.state = 'live';
    this.mine = true;
    this.els.local.srcObject = stream;
    this.changed();
    this.join();
  }

  async answer(what) {
    if (what === 'end') this.release();
    try {
      await this.post(what);
      this.state = '';
    } catch (err) {
      if (err.status !== 409) this.error(err.message);
      else this.state = '';
    }
    this.changed();
  }

  toggle(kind) {
    const t = kind === 'audio' ? this.stream?.getAudioTracks()[0] : this.stream?.getVideoTracks()[0];
    if (t) t.enabled = !t.enabled;
    this.changed();
  }

  join() {
    if (!this.stream) return;
    this.closePeer();
    if (!this.send({ type: 'rtc', session: 'call', op: 'join', publish: true })) {
      // Long polling carries no media set-up: the socket's return joins.
      this.error('The call connects once the live connection is back.');
    }
  }

  async frame(body) {
    switch (body.op) {
      case 'joined':
        this.connect(body.ice_servers || []);
        break;
      case 'signal':
        if (body.msg?.kind === 'stop') this.closePeer();
        else if (this.peer) await this.peer.signal(body.msg || {}).catch(() => {});
        break;
      case 'error':
        if (this.stream) this.error('The call could not connect: ' + body.error);
        break;
    }
  }

  connect(iceServers) {
    if (!this.stream) return;
    this.closePeer();
    const peer = new RoomPeer({
      iceServers,
      send: (msg) => this.send({ type: 'rtc', session: 'call', op: 'signal', msg }),
      onTrack: (track, stream) => showStream(this.els.remote, stream),
      onState: (s) => { if (s === 'failed' && this.peer === peer) this.join(); },
    });
    this.peer = peer;
    for (const t of this.stream.getTracks()) peer.addTrack(t, this.stream);
  }

  closePeer() {
    if (this.peer) this.peer.close();
    this.peer = null;
    this.els.remote.replaceChildren();
  }

  release() {
    this.closePeer();
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.els.local.srcObject = null;
  }
}
