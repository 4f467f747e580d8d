// Co-browsing from the customer's side. A technician asks to see the page
// the widget sits on; the customer chooses "Show this page" or "Not now".
// While it is shown a banner with Stop stays up.
//
// Recording happens on the host page (widget.js, with rrweb), never here:
// this frame tells the host script to start only once the customer has
// consented and relaydesk has accepted the page ("sharing"), and relays the
// batches of events the host script posts back to it onto the live
// WebSocket as "cobrowse" frames, cut into pieces under 48 KiB and paced
// under the socket's rate limit.
//
// Messages from the host are taken only from window.parent, and only
// while this frame has asked it to record: a script of the host page could
// post events itself, but it could as well change the page it shows, so it
// gains nothing. Messages to the host carry no data worth stealing (start,
// stop, snapshot, a point), so they go to any origin: the frame does not
// know the host's.

const PIECE_BYTES = 48 * 1024;
const BURST = 60; // the server allows 100 frames at once, then 20 a second
const RATE = 15;
const MAX_QUEUE = 400; // pieces waiting; beyond this the page is sent again whole

export class Cobrowse {
  // post(answer) calls POST /api/widget/cobrowse; send(frame) writes a
  // frame on the live WebSocket and reports false when it is down;
  // changed() redraws; error(msg) shows a problem; embedded says whether
  // this chat sits on a host page (the widget) or is the portal.
  constructor({ els, post, send, changed, error, embedded }) {
    Object.assign(this, { els, post, send, changed, error, embedded });
    this.ask = null; // {name} while an ask waits for the answer
    this.live = false; // this customer's page is shown
    this.recording = false; // the host script was told to record
    this.busy = false;
    this.seq = 0;
    this.queue = [];
    this.tokens = BURST;
    this.last = performance.now();
    this.timer = 0;
    els.show.addEventListener('click', () => this.show());
    els.decline.addEventListener('click', () => this.answer('decline'));
    els.stop.addEventListener('click', () => this.answer('stop'));
    window.addEventListener('message', (e) => this.fromHost(e));
  }

  load(state, mine, technician) {
    this.ask = state === 'asked' ? { name: technician } : null;
    this.live = state === 'live' && mine && this.embedded;
    if (!this.live) this.stopHost();
  }

  event(ev) {
    switch (ev.type) {
      case 'cobrowse.requested':
        this.ask = { name: ev.actor_name || 'Your technician' };
        break;
      case 'cobrowse.started':
        this.ask = null;
        if (ev.mine && this.embedded && !this.live) {
          this.live = true;
          this.join();
        }
        break;
      case 'cobrowse.declined':
        this.ask = null;
        break;
      case 'cobrowse.stopped':
        this.ask = null;
        this.live = false;
        this.stopHost();
        break;
    }
  }

  render(off) {
    const { els } = this;
    const asking = !!this.ask && !off;
    els.ask.hidden = !asking;
    if (asking) {
      const who = this.ask.name || 'Your technician';
      els.askText.textContent = this.embedded
        ? `${who} asks to see the page you are on (co-browsing). They see this page only, not your other tabs or ` +
          'your screen; what you type in forms is hidden from them, and they cannot click or type for you. ' +
          'You can stop at any time.'
        : `${who} asks to see the page you are on (co-browsing). That works only from the chat button on the ` +
          "company's website, not on this support page.";
      els.show.hidden = !this.embedded;
      els.show.disabled = this.busy;
    }
    els.banner.hidden = !(this.live && !off);
  }

  async show() {
    if (this.busy || !this.embedded) return;
    this.busy = true;
    this.changed();
    try {
      await this.post('show');
    } catch (err) {
      this.busy = false;
      this.error(err.message);
      if (err.status === 409) this.ask = null;
      this.changed();
      return;
    }
    this.busy = false;
    this.ask = null;
    this.live = true;
    this.changed();
    this.join();
  }

  async answer(what) {
    try {
      await this.post(what);
      this.ask = null;
      if (what === 'stop') {
        this.live = false;
        this.stopHost();
      }
    } catch (err) {
      this.error(err.message);
      if (err.status === 409) this.ask = null;
    }
    this.changed();
  }

  // join tells relaydesk this page is ready to be shown (again, after the
  // socket reconnected); its "sharing" starts the recording.
  join() {
    if (this.live) this.send({ type: 'cobrowse', op: 'share' });
  }

  // frame acts on a pushed cobrowse frame's body.
  frame(body) {
    switch (body.op) {
      case 'sharing':
        if (this.live) this.startHost();
        break;
      case 'snapshot':
        if (this.recording) toHost({ type: 'relaydesk:cobrowse-snapshot' });
        break;
      case 'point':
        if (this.recording) toHost({ type: 'relaydesk:cobrowse-point', x: +body.x || 0, y: +body.y || 0 });
        break;
      case 'ended':
        this.stopHost();
        break;
    }
  }

  startHost() {
    this.queue = [];
    this.recording = true;
    // Already recording (a reconnect): the host takes a new full snapshot.
    toHost({ type: 'relaydesk:cobrowse-start' });
  }

  stopHost() {
    if (!this.recording) return;
    this.recording = false;
    this.queue = [];
    toHost({ type: 'relaydesk:cobrowse-stop' });
  }

  fromHost(e) {
    if (e.source !== window.parent || !this.recording || !e.data || e.data.type !== 'relaydesk:cobrowse-events') return;
    const events = e.data.events;
    if (!Array.isArray(events) || events.length === 0) return;
    const pieces = cut(JSON.stringify(events));
    const seq = ++this.seq;
    pieces.forEach((data, part) => this.queue.push({ type: 'cobrowse', op: 'data', seq, part, parts: pieces.length, data }));
    if (this.queue.length > MAX_QUEUE) {
      // Too far behind: what waits is dropped and the page sent again whole.
      this.queue = [];
      toHost({ type: 'relaydesk:cobrowse-snapshot' });
    }
    this.pump();
  }

  // pump sends what waits, as fast as the socket's rate limit allows.
  pump() {
    clearTimeout(this.timer);
    const now = performance.now();
    this.tokens = Math.min(BURST, this.tokens + ((now - this.last) / 1000) * RATE);
    this.last = now;
    while (this.queue.length && this.tokens >= 1) {
      if (!this.send(this.queue.shift())) {
        // The socket is down: the reconnect's join starts over with a
        // full snapshot.
        this.queue = [];
        return;
      }
      this.tokens--;
    }
    if (this.queue.length) this.timer = setTimeout(() => this.pump(), 1000 / RATE);
  }
}

function toHost(msg) {
  if (window.parent !== window) window.parent.postMessage(msg, '*');
}

// cut splits s into pieces whose frame stays under PIECE_BYTES once
// encoded (JSON escapes and UTF-8 can make a character take several bytes).
function cut(s) {
  const enc = new TextEncoder();
  const out = [];
  let size = PIECE_BYTES / 2;
  for (let i = 0; i < s.length;) {
    let end = Math.min(s.length, i + size);
    // Never split a surrogate pair.
    if (end < s.length && /[\ud800-\udbff]/.test(s[end - 1])) end--;
    const piece = s.slice(i, end);
    if (enc.encode(JSON.stringify(piece)).length > PIECE_BYTES && size > 64) {
      size = Math.floor(size / 2);
      continue;
    }
    out.push(piece);
    i = end;
  }
  return out;
}
