// Screen sharing from the customer's side. A technician asks; the customer
// sees who asks and chooses: "Share my screen" opens the browser's own
// picker (getDisplayMedia is called on that click and at no other time),
// "Not now" declines. While the screen is shared a banner with Stop stays
// up; the browser's own "Stop sharing", Stop, leaving the page, or the
// technician stopping end it everywhere.
//
// Media goes to relaydesk over WebRTC; its set-up (offer, answer, ICE
// candidates) rides on the chat's live WebSocket as "rtc" frames. The
// consent itself is an API call, made once the picker gave a screen, so a
// consent never stands without one.

// joinRetry is how long a join may go unanswered before it is sent again.
const joinRetry = 8000;

const canShare = () => !!(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);

export class ScreenShare {
  // post(answer, screen) calls POST /api/widget/screen; send(frame) writes
  // a frame on the live WebSocket and reports false when it is down;
  // changed() redraws; info() says the browser and OS; error(msg) shows a
  // problem; keepalive(answer) sends the answer as the page goes away.
  // inCall() says this customer is in a call, which may be recorded too.
  constructor({ els, post, postRecording, send, changed, info, error, keepalive, inCall }) {
    Object.assign(this, { els, post, postRecording, send, changed, info, error, keepalive, inCall });
    this.recording = ''; // '', 'asked' (the customer is asked) or 'on'
    this.ask = null; // who asks, while an ask waits for the answer: {name}
    this.live = false; // the server says a screen of this customer is shared
    this.stream = null; // the screen this page shares
    this.pc = null;
    this.early = [];
    this.busy = false;
    els.share.addEventListener('click', () => this.share());
    els.decline.addEventListener('click', () => this.answer('decline'));
    els.stop.addEventListener('click', () => this.stopSharing());
    els.recordAllow.addEventListener('click', () => this.answerRecording('allow'));
    els.recordDecline.addEventListener('click', () => this.answerRecording('decline'));
    els.recordStop.addEventListener('click', () => this.answerRecording('stop'));
    // Leaving the page ends what it shares: the technician is told at once.
    window.addEventListener('pagehide', () => {
      if (this.stream) this.keepalive('stop');
    });
  }

  // load takes the state from the chat as loaded: an ask waiting, or a
  // share of this customer (from another window, or this one before a
  // reload, which took the screen with it).
  load(screen, mine, technician, recording) {
    this.ask = screen === 'asked' ? { name: technician } : null;
    this.live = screen === 'live' && mine;
    this.recording = recording || '';
    this.recordAsker = technician;
  }

  // event follows the request's events.
  event(ev) {
    switch (ev.type) {
      case 'screenshare.requested':
        this.ask = { name: ev.actor_name || 'Your technician' };
        break;
      case 'screenshare.started':
        this.ask = null;
        if (ev.mine) this.live = true;
        break;
      case 'screenshare.declined':
        this.ask = null;
        break;
      case 'screenshare.stopped':
        this.ask = null;
        this.live = false;
        this.recording = '';
        this.release();
        break;
      case 'recording.requested':
        this.recording = 'asked';
        this.recordAsker = ev.actor_name || 'Your technician';
        break;
      case 'recording.allowed':
        this.recording = 'on';
        break;
      case 'recording.declined':
      case 'recording.stopped':
        this.recording = '';
        break;
      default:
        return false;
    }
    return true;
  }

  // render shows the ask or the banner. off: the chat is closed or left.
  render(off) {
    const { els } = this;
    const asking = !!this.ask && !off;
    els.ask.hidden = !asking;
    if (asking) {
      const who = this.ask.name || 'Your technician';
      if (canShare()) {
        els.askText.textContent = `${who} asks to see your screen. You choose what to share: a window, a browser tab or the whole screen, and you can stop at any time.`;
      } else {
        els.askText.textContent = `${who} asks to see your screen, but screen sharing needs a desktop web browser: open this chat on a computer to share your screen.`;
      }
      els.share.hidden = !canShare();
      els.share.disabled = this.busy;
    }
    const sharing = this.live && !off;
    els.banner.hidden = !sharing;
    if (sharing) {
      els.bannerText.textContent = this.stream ? 'You are sharing your screen' : 'Your screen is shared from another window';
    }
    // The customer always sees that recording is asked for or on.
    const calling = this.inCall() && !off;
    els.recordAsk.hidden = !((sharing || calling) && this.recording === 'asked');
    if (!els.recordAsk.hidden) {
      els.recordAskText.textContent = `${this.recordAsker || 'Your technician'} asks to record ${calling ? 'this call' : 'your shared screen'}. ` +
        'The recording is kept with your request for the support team. Allow?';
    }
    els.recordBadge.hidden = !(sharing && this.recording === 'on');
    els.recordStop.hidden = els.recordBadge.hidden;
  }

  async answerRecording(what) {
    try {
      await this.postRecording(what);
      if (what !== 'allow') this.recording = '';
    } catch (err) {
      this.error(err.message);
      if (err.status === 409) this.recording = '';
    }
    this.changed();
  }

  // share is the click on "Share my screen": the browser's picker, then
  // the consent, then the media.
  async share() {
    if (this.busy) return;
    this.busy = true;
    this.changed();
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
    } catch (err) {
      this.busy = false;
      this.changed();
      // Closing the picker is a choice, not an error: the ask stays.
      if (err && err.name !== 'NotAllowedError' && err.name !== 'AbortError') this.error('Your browser could not share the screen: ' + err.message);
      return;
    }
    const [track] = stream.getVideoTracks();
    const settings = track.getSettings ? track.getSettings() : {};
    const { os, browser } = this.info();
    const screenInfo = {
      width: Math.round(settings.width || window.screen.width), height: Math.round(settings.height || window.screen.height),
      dpr: window.devicePixelRatio || 1, browser, os,
    };
    try {
      await this.post('share', screenInfo);
    } catch (err) {
      stream.getTracks().forEach((t) => t.stop());
      this.busy = false;
      this.error(err.message);
      if (err.status === 409) this.ask = null; // answered elsewhere, or nothing asked any more
      this.changed();
      return;
    }
    this.busy = false;
    this.stream = stream;
    this.ask = null;
    this.live = true;
    // The browser's own "Stop sharing" ends the track.
    track.addEventListener('ended', () => this.stopSharing());
    this.changed();
    this.join();
  }

  async answer(what) {
    try {
      await this.post(what);
      this.ask = null;
    } catch (err) {
      this.error(err.message);
      if (err.status === 409) this.ask = null;
    }
    this.changed();
  }

  async stopSharing() {
    const had = this.live || this.stream;
    this.release();
    this.live = false;
    this.changed();
    if (!had) return;
    try {
      await this.post('stop');
    } catch (err) {
      if (err.status !== 409) this.error(err.message); // 409: it had ended already
    }
  }

  // release lets go of the screen and the connection.
  release() {
    clearTimeout(this.joinTimer);
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.closePC();
  }

  closePC() {
    if (this.pc) this.pc.close();
    this.pc = null;
    this.early = [];
  }

  // join asks relaydesk for a place to send the screen; the answer comes
  // as a "joined" frame. Also on every reconnect of the live socket.
  join() {
    if (!this.stream) return;
    this.closePC();
    if (!this.send({ type: 'rtc', op: 'join', publish: true })) {
      // Long polling carries no media set-up: the socket's return joins.
      this.error('Your screen will reach the technician once the live connection is back.');
    }
    // No answer (the process holding the share went away): ask again.
    clearTimeout(this.joinTimer);
    this.joinTimer = setTimeout(() => this.join(), joinRetry);
  }

  // frame acts on an rtc frame's body.
  async frame(body) {
    if (body.op === 'joined' || body.op === 'error') clearTimeout(this.joinTimer);
    switch (body.op) {
      case 'joined':
        await this.connect(body.ice_servers || []);
        break;
      case 'signal':
        await this.signal(body.msg || {});
        break;
      case 'error':
        if (this.stream) this.error('Your screen could not reach the technician: ' + body.error);
        break;
    }
  }

  async connect(iceServers) {
    if (!this.stream) return;
    this.closePC();
    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    pc.addEventListener('icecandidate', (e) => {
      if (e.candidate && pc === this.pc) this.send({ type: 'rtc', op: 'signal', msg: { kind: 'candidate', candidate: e.candidate.toJSON() } });
    });
    pc.addEventListener('connectionstatechange', () => {
      // A connection that failed is made again while the screen is shared.
      if (pc === this.pc && pc.connectionState === 'failed') this.join();
    });
    for (const t of this.stream.getTracks()) pc.addTrack(t, this.stream);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this.send({ type: 'rtc', op: 'signal', msg: { kind: 'offer', sdp: pc.localDescription.sdp } });
  }

  async signal(msg) {
    const pc = this.pc;
    if (!pc) return;
    switch (msg.kind) {
      case 'answer':
        await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
        for (const c of this.early) await pc.addIceCandidate(c).catch(() => {});
        this.early = [];
        break;
      case 'offer':
        // The room offers nothing to a sharer; answer it all the same.
        await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        this.send({ type: 'rtc', op: 'signal', msg: { kind: 'answer', sdp: pc.localDescription.sdp } });
        break;
      case 'candidate':
        if (!pc.remoteDescription) this.early.push(msg.candidate);
        else await pc.addIceCandidate(msg.candidate).catch(() => {});
        break;
      case 'stop':
        // The room let this window go (the share ended, or another window
        // took over); the events say whether the share goes on.
        this.closePC();
        break;
    }
  }
}
