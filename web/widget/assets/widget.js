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
    frame.setAttribute('allow', 'clipboard-write; display-capture');

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

  if (document.body) build();
  else document.addEventListener('DOMContentLoaded', build);
})();
