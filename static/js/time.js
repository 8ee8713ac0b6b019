// Keeps every <time class="berth-time" datetime> relative ("5 min ago") as the page stays open; the rule is the
// server's (web/Times.java), and the exact UTC time stays in the title for hovering.
(function () {
  'use strict';
  function relative(at, now) {
    var s = Math.round((now - at) / 1000);
    var future = s < 0;
    var a = Math.abs(s);
    var span;
    if (a < 5) { return 'just now'; }
    if (a < 90) { span = a + ' s'; }
    else if (a < 90 * 60) { span = Math.round(a / 60) + ' min'; }
    else if (a < 36 * 3600) { span = Math.round(a / 3600) + ' h'; }
    else { span = Math.round(a / 86400) + ' d'; }
    return future ? 'in ' + span : span + ' ago';
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll('time.berth-time[datetime]').forEach(function (t) {
      var at = Date.parse(t.getAttribute('datetime'));
      if (!isNaN(at)) { t.textContent = relative(at, now); }
    });
  }
  document.addEventListener('DOMContentLoaded', tick);
  document.addEventListener('htmx:afterSwap', tick);
  setInterval(tick, 5000);
}());
