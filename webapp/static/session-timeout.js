// Warns two minutes before the server ends an idle session (WCAG 2.2.1), and keeps the
// session alive while the person is typing, so long answers are never lost to a timeout.
(function () {
  var box = document.getElementById("session-warning");
  if (!box) return;
  var idleMs = parseInt(box.getAttribute("data-idle-seconds"), 10) * 1000;
  var url = box.getAttribute("data-keepalive-url");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var warnBefore = Math.min(120000, idleMs / 4);
  var lastServerContact = Date.now();
  var lastActivity = 0;
  var warnTimer = null;

  function schedule() {
    clearTimeout(warnTimer);
    warnTimer = setTimeout(warn, Math.max(idleMs - warnBefore - (Date.now() - lastServerContact), 0));
  }
  function warn() {
    box.hidden = false;
    document.getElementById("session-continue").focus();
  }
  function keepAlive() {
    fetch(url, { method: "POST", credentials: "same-origin",
                 headers: { "X-CSRFToken": token, "Accept": "application/json" } })
      .then(function (r) { if (r.ok) { lastServerContact = Date.now(); box.hidden = true; schedule(); } });
  }
  document.getElementById("session-continue").addEventListener("click", keepAlive);
  ["keydown", "input"].forEach(function (name) {
    document.addEventListener(name, function () {
      lastActivity = Date.now();
      // Typing counts as activity: tell the server at most every five minutes.
      if (lastActivity - lastServerContact > Math.min(300000, idleMs / 3)) keepAlive();
    });
  });
  schedule();
})();
