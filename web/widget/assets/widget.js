// relaydesk chat widget. Paste on any site:
//
//   <script src="PUBLIC_URL/widget.js" data-key="PORTAL_KEY" async></script>
//
// It adds a chat button to the page and, next to it, an iframe with the chat
// (PUBLIC_URL/widget/frame). The iframe keeps the chat's styles and scripts
// apart from the host page; this script only creates the two elements and
// styles them through their own style properties, so it never changes how
// the host page looks and needs no stylesheet.
(function () {
  'use strict';
  if (window.__relaydeskWidget) return; // the snippet was pasted twice
  window.__relaydeskWidget = true;

  var script = document.currentScript ||
    document.querySelector('script[data-key][src*="widget.js"]');
  if (!script || !script.src) return;
  var key = script.getAttribute('data-key') || '';
  if (!key) {
    if (window.console) console.warn('relaydesk widget: the script tag has no data-key');
    return;
  }
  var frameURL = new URL('widget/frame', script.src);
  frameURL.searchParams.set('key', key);
  var frameOrigin = frameURL.origin;

  var ACCENT = '#2456d6';
  var Z = '2147483646';

  // css resets an element and applies declarations as !important inline
  // styles, so that no rule of the host page reaches it.
  function css(el, decl) {
    el.style.setProperty('all', 'initial', 'important');
    set(el, decl);
  }

  function set(el, decl) {
    for (var k in decl) {
      if (Object.prototype.hasOwnProperty.call(decl, k)) el.style.setProperty(k, decl[k], 'important');
    }
  }

  function span(decl) {
    var el = document.createElement('span');
    css(el, decl);
    return el;
  }

  // The icons are drawn with plain elements: nothing is fetched, and no
  // markup is parsed on the host page.
  function chatGlyph() {
    var g = span({ position: 'relative', display: 'block', width: '26px', height: '24px', 'pointer-events': 'none' });
    g.appendChild(span({ position: 'absolute', left: '0', top: '0', width: '26px', height: '19px',
      'border-radius': '6px', background: '#fff', display: 'block' }));
    g.appendChild(span({ position: 'absolute', left: '5px', top: '18px', width: '0', height: '0', display: 'block',
      'border-top': '6px solid #fff', 'border-right': '7px solid transparent' }));
    for (var i = 0; i < 3; i++) {
      g.appendChild(span({ position: 'absolute', top: '8px', left: (6 + i * 6) + 'px', width: '4px', height: '4px',
        'border-radius': '50%', background: ACCENT, display: 'block' }));
    }
    return g;
  }

  function closeGlyph() {
    var g = span({ display: 'block', color: '#fff', font: '400 32px/1 system-ui, sans-serif', 'pointer-events': 'none',
      'margin-top': '-3px' });
    g.textContent = '\u00d7';
    return g;
  }

  var chatIcon = chatGlyph();
  var closeIcon = closeGlyph();

  var id = 'relaydesk-chat-' + Math.random().toString(36).slice(2, 8);
  var open = false;
  var button, badge, frame;

  function build() {
    frame = document.createElement('iframe');
    frame.id = id;
    frame.title = 'Support chat';
    frame.src = frameURL.href;
    frame.setAttribute('data-relaydesk', 'frame');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.setAttribute('allow', 'clipboard-write; display-capture; microphone; camera; autoplay');

    button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('data-relaydesk', 'button');
    button.setAttribute('aria-controls', id);
    button.setAttribute('aria-expanded', 'false');
    button.setAttribute('aria-label', 'Open the support chat');
    button.appendChild(chatIcon);

    badge = document.createElement('span');
    badge.setAttribute('aria-hidden', 'true');
    button.appendChild(badge);

    layout();
    button.addEventListener('click', function () { toggle(!open); });
    button.addEventListener('focus', function () { set(button, { 'box-shadow': '0 0 0 3px #fff, 0 0 0 6px ' + ACCENT }); });
    button.addEventListener('blur', function () { set(button, { 'box-shadow': '0 4px 16px rgba(0,0,0,.25)' }); });
    document.addEventListener('keydown', function (e) {
      if (open && (e.key === 'Escape' || e.key === 'Esc')) {
        toggle(false);
        button.focus();
      }
    });
    window.addEventListener('message', function (e) {
      if (e.origin !== frameOrigin || e.source !== frame.contentWindow || !e.data) return;
      if (e.data.type === 'relaydesk:close' && open) {
        toggle(false);
        button.focus();
      } else if (e.data.type === 'relaydesk:unread' && !open) {
        set(badge, { display: 'block' });
        button.setAttribute('aria-label', 'Open the support chat (new message)');
      } else if (e.data.type === 'relaydesk:cobrowse-start') {
        cobrowse.start();
      } else if (e.data.type === 'relaydesk:cobrowse-stop') {
        cobrowse.stop();
      } else if (e.data.type === 'relaydesk:cobrowse-snapshot') {
        cobrowse.snapshot();
      } else if (e.data.type === 'relaydesk:cobrowse-point') {
        cobrowse.point(+e.data.x || 0, +e.data.y || 0);
      }
    });
    narrow.addEventListener ? narrow.addEventListener('change', layout) : narrow.addListener(layout);

    document.body.appendChild(frame);
    document.body.appendChild(button);
  }

  var narrow = window.matchMedia('(max-width: 600px)');

  function layout() {
    var small = narrow.matches;
    css(button, {
      position: 'fixed', right: '20px', bottom: '20px', width: '56px', height: '56px',
      display: small && open ? 'none' : 'flex', 'align-items': 'center', 'justify-content': 'center',
      margin: '0', padding: '0', border: '0', 'border-radius': '50%', background: ACCENT, color: '#fff',
      cursor: 'pointer', 'box-shadow': '0 4px 16px rgba(0,0,0,.25)', 'z-index': Z, outline: 'none',
      'box-sizing': 'border-box'
    });
    if (document.activeElement === button) set(button, { 'box-shadow': '0 0 0 3px #fff, 0 0 0 6px ' + ACCENT });
    css(badge, {
      display: badge.style.getPropertyValue('display') === 'block' ? 'block' : 'none',
      position: 'absolute', top: '4px', right: '4px', width: '12px', height: '12px', 'border-radius': '50%',
      background: '#e5484d', border: '2px solid #fff', 'box-sizing': 'border-box'
    });
    var box = small
      ? { left: '0', top: '0', right: '0', bottom: '0', width: '100%', height: '100%', 'border-radius': '0' }
      : { right: '20px', bottom: '88px', width: '380px', height: 'min(600px, calc(100vh - 108px))',
          'border-radius': '12px', 'max-width': 'calc(100vw - 40px)' };
    css(frame, Object.assign({
      position: 'fixed', display: open ? 'block' : 'none', border: '0', margin: '0', padding: '0',
      background: '#fff', 'box-shadow': '0 8px 30px rgba(0,0,0,.25)', 'z-index': Z, 'color-scheme': 'normal'
    }, box));
  }

  function toggle(show) {
    open = show;
    button.setAttribute('aria-expanded', String(open));
    button.setAttribute('aria-label', open ? 'Close the support chat' : 'Open the support chat');
    button.replaceChild(open ? closeIcon : chatIcon, open ? chatIcon : closeIcon);
    if (open) set(badge, { display: 'none' });
    layout();
    if (frame.contentWindow) frame.contentWindow.postMessage({ type: open ? 'relaydesk:open' : 'relaydesk:closed' }, frameOrigin);
    if (open) frame.focus();
  }

  // Co-browsing: once the customer consented in the chat, the chat frame
  // asks this script to record the page with rrweb (loaded from relaydesk
  // only then) and posts the events, batched, to the frame, which sends
  // them to relaydesk. Inputs are masked and never recorded; elements
  // marked data-relaydesk-mask, and the widget's own elements, are left
  // out whole (rrweb's block). Messages are taken from the frame alone (its
  // origin and window), and sent to its origin alone.
  var FLUSH_MS = 300;
  var cobrowse = {
    stopRec: null, buf: [], timer: 0, rr: null, loading: false,
    start: function () {
      var self = this;
      if (this.stopRec) return this.snapshot();
      this.load(function (rr) {
        if (self.stopRec || !rr) return;
        self.buf = [];
        self.stopRec = rr.record({
          emit: function (ev) { self.buf.push(ev); },
          maskAllInputs: true,
          // The masked value says nothing, not even its length.
          maskInputFn: function (text) { return text ? '\u2022\u2022\u2022\u2022\u2022\u2022' : ''; },
          blockSelector: '[data-relaydesk-mask], [data-relaydesk]',
          maskTextSelector: '[data-relaydesk-mask]',
          recordCanvas: false, collectFonts: false, inlineImages: false, recordCrossOriginIframes: false,
          slimDOMOptions: 'all',
          sampling: { mousemove: 100, scroll: 150, input: 'last' }
        }) || null;
        self.timer = setInterval(function () { self.flush(); }, FLUSH_MS);
        self.flush();
      });
    },
    stop: function () {
      if (this.stopRec) this.stopRec();
      this.stopRec = null;
      clearInterval(this.timer);
      this.buf = [];
    },
    snapshot: function () {
      if (this.stopRec && this.rr) this.rr.record.takeFullSnapshot(true);
      this.flush();
    },
    flush: function () {
      if (!this.buf.length || !frame.contentWindow) return;
      var events = this.buf;
      this.buf = [];
      frame.contentWindow.postMessage({ type: 'relaydesk:cobrowse-events', events: events }, frameOrigin);
    },
    // load fetches rrweb once, keeping the page's own window.rrweb, if it
    // has one, as it was.
    load: function (cb) {
      var self = this;
      if (this.rr) return cb(this.rr);
      if (this.loading) return;
      this.loading = true;
      var had = Object.prototype.hasOwnProperty.call(window, 'rrweb');
      var theirs = window.rrweb;
      var s = document.createElement('script');
      s.src = new URL('widget/rrweb.js', script.src).href;
      s.async = true;
      s.setAttribute('data-relaydesk', 'rrweb');
      s.onload = function () {
        self.rr = window.rrweb && window.rrweb.record ? window.rrweb : null;
        if (had) window.rrweb = theirs;
        else try { delete window.rrweb; } catch (err) { window.rrweb = undefined; }
        self.loading = false;
        cb(self.rr);
      };
      s.onerror = function () { self.loading = false; };
      document.head.appendChild(s);
    },
    // point shows where the technician points: a ring that fades, which
    // takes no clicks and is itself never recorded.
    point: function (x, y) {
      if (!this.stopRec) return;
      // Plain inline styles, not css(): its !important 'all' would freeze
      // the animation.
      var ring = document.createElement('div');
      var decl = { position: 'fixed', left: (x - 18) + 'px', top: (y - 18) + 'px', width: '36px', height: '36px',
        margin: '0', padding: '0', 'border-radius': '50%', border: '4px solid ' + ACCENT, 'box-sizing': 'border-box',
        'pointer-events': 'none', 'z-index': Z, display: 'block', background: 'rgba(36,86,214,.15)' };
      for (var k in decl) ring.style.setProperty(k, decl[k]);
      ring.setAttribute('data-relaydesk', 'point');
      document.body.appendChild(ring);
      var done = function () { if (ring.parentNode) ring.parentNode.removeChild(ring); };
      if (ring.animate) {
        ring.animate([{ transform: 'scale(.5)', opacity: 1 }, { transform: 'scale(1.6)', opacity: 0 }],
          { duration: 900, iterations: 2 }).onfinish = done;
      } else {
        setTimeout(done, 1800);
      }
    }
  };

  if (document.body) build();
  else document.addEventListener('DOMContentLoaded', build);
})();
