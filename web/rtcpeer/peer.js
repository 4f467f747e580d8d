// RoomPeer is one browser's connection to relaydesk's media room for a live
// session (a call). It offers when its own tracks change and answers the
// room's offers when others' tracks come or go; when both offer at once it
// is the polite side: it rolls its own offer back, answers the room's, and
// offers again (relaydesk's media server cannot roll back).
export class RoomPeer {
  // send(msg) carries a signalling message to the room; onTrack(track,
  // stream) and onState(connectionState) tell the page.
  constructor({ iceServers, send, onTrack, onState }) {
    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    this.send = send;
    this.makingOffer = false;
    this.early = [];
    pc.addEventListener('negotiationneeded', async () => {
      try {
        this.makingOffer = true;
        await pc.setLocalDescription();
        send({ kind: 'offer', sdp: pc.localDescription.sdp });
      } catch { /* closed meanwhile */ } finally {
        this.makingOffer = false;
      }
    });
    pc.addEventListener('icecandidate', (e) => {
      if (e.candidate) send({ kind: 'candidate', candidate: e.candidate.toJSON() });
    });
    pc.addEventListener('track', (e) => onTrack(e.track, e.streams[0] || new MediaStream([e.track])));
    pc.addEventListener('connectionstatechange', () => onState(pc.connectionState));
  }

  addTrack(track, stream) {
    this.pc.addTrack(track, stream);
  }

  // signal acts on a message from the room.
  async signal(msg) {
    const pc = this.pc;
    switch (msg.kind) {
      case 'offer':
        // In have-local-offer this rolls our offer back (implicit rollback);
        // negotiationneeded then fires again for what it carried.
        await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
        await this.flush();
        await pc.setLocalDescription();
        this.send({ kind: 'answer', sdp: pc.localDescription.sdp });
        break;
      case 'answer':
        if (pc.signalingState !== 'have-local-offer') return;
        await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
        await this.flush();
        break;
      case 'candidate':
        if (!pc.remoteDescription) this.early.push(msg.candidate);
        else await pc.addIceCandidate(msg.candidate).catch(() => {});
        break;
    }
  }

  async flush() {
    for (const c of this.early.splice(0)) await this.pc.addIceCandidate(c).catch(() => {});
  }

  close() {
    this.pc.close();
  }
}

// showStream puts a remote stream in box as a playing video, once, and
// takes it away when its tracks are withdrawn (a browser fires no "ended"
// for a remote track the other side only stopped sending).
export function showStream(box, stream) {
  if ([...box.children].some((v) => v.srcObject === stream)) return;
  const v = document.createElement('video');
  v.autoplay = true;
  v.playsInline = true;
  v.className = 'call-remote-video';
  v.dataset.testid = 'call-remote';
  v.srcObject = stream;
  stream.addEventListener('removetrack', () => { if (stream.getTracks().length === 0) v.remove(); });
  box.append(v);
}
