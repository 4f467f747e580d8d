// The co-browsing replay document (/console/cobrowse/replay), framed by the
// console's viewer (cobrowse.js), which hands it the customer's events. It
// exists for its Content-Security-Policy: rrweb rebuilds the customer's
// page in an about:blank iframe, which takes the policy of the document
// that made it, and the customer's page needs inline styles that the
// console itself does not allow. Scripts stay 'self' only; the rebuilt
// page runs none (rrweb's iframe is sandboxed without scripts) and loads
// no image or font from elsewhere.
(function () {
  'use strict';
  var FULL_SNAPSHOT = 2;
  var META = 4;
  var replayer = null;
  var stage = document.getElementById('stage');

  var api = {
    // onPoint(x, y) and onSize(height) are set by the console.
    onPoint: function () {},
    onSize: function () {},
    add: function (events) {
      if (!replayer) {
        // The replay starts at a full snapshot (with its meta event).
        var at = -1;
        for (var i = 0; i < events.length; i++) if (events[i].type === FULL_SNAPSHOT) { at = i; break; }
        if (at < 0) return false;
        if (at > 0 && events[at - 1].type === META) at--;
        events = events.slice(at);
        replayer = new window.rrweb.Replayer([], {
          root: stage, liveMode: true, mouseTail: false, triggerFocus: false, UNSAFE_replayCanvas: false, showWarning: false
        });
        replayer.on('resize', fit);
        // The customer's clock is not ours: time runs from their first event.
        replayer.startLive(events[0].timestamp - 200);
        replayer.disableInteract();
      }
      for (var j = 0; j < events.length; j++) replayer.addEvent(events[j]);
      fit();
      return true;
    },
    destroy: function () {
      if (replayer) replayer.destroy();
      replayer = null;
      stage.textContent = '';
    }
  };
  window.relaydeskReplay = api;

  // fit scales the page to this document's width.
  function fit() {
    if (!replayer || !replayer.iframe) return;
    var w = replayer.iframe.offsetWidth || 1;
    var h = replayer.iframe.offsetHeight || 1;
    var scale = Math.min(1, document.documentElement.clientWidth / w);
    replayer.wrapper.style.transform = 'scale(' + scale + ')';
    replayer.wrapper.style.transformOrigin = '0 0';
    api.onSize(Math.ceil(h * scale));
  }
  window.addEventListener('resize', fit);

  // Pointing: a click is a point on the customer's page, in its own CSS
  // pixels; nothing else goes back.
  document.addEventListener('click', function (e) {
    if (!replayer || !replayer.iframe) return;
    var box = replayer.iframe.getBoundingClientRect();
    var scale = box.width / (replayer.iframe.offsetWidth || 1);
    var x = (e.clientX - box.left) / scale;
    var y = (e.clientY - box.top) / scale;
    if (x < 0 || y < 0 || x > replayer.iframe.offsetWidth || y > replayer.iframe.offsetHeight) return;
    api.onPoint(Math.round(x), Math.round(y));
  });
})();
