// Autosave: a few seconds after the last change the whole answer is saved with the version it
// started from; the status line (role=status) says when. If a colleague saved in between,
// autosave stops and the person chooses with the Save button (the server shows both answers).
// When the tab is closed mid-sentence, the last answer goes out with sendBeacon.
(function () {
  var form = document.getElementById("answer-form");
  if (!form) return;
  document.documentElement.classList.add("js");
  var url = form.getAttribute("data-autosave-url");
  var version = form.querySelector("input[name=expected_version]");
  var status = document.getElementById("autosave-status");
  var DELAY = 3000;
  var timer = null, saving = false, dirty = false, stopped = false;
  var pendingSubmit = null;

  function body() {
    var data = new FormData(form);  // buttons are not included: this is a draft save
    data.set("expected_version", version.value);
    return data;
  }
  function snapshot() {
    var parts = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "expected_version") parts.push(name + "=" + value);
    });
    return parts.join("\u0000");
  }
  var saved = snapshot();
  function save() {
    var sent = snapshot();
    if (stopped || saving || sent === saved) return;
    saving = true; dirty = false;
    fetch(url, { method: "POST", body: body(), credentials: "same-origin",
                 headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (d) { return [r.status, d]; }); })
      .then(function (result) {
        var code = result[0], data = result[1];
        if (code === 200) {
          version.value = data.version; saved = sent;
          status.textContent = "Sparat kl. " + data.saved_at;
        } else if (code === 409 && data.conflict) {
          stopped = true; status.textContent = data.message;
        } else {
          status.textContent = "Kunde inte spara automatiskt: " + (data.error || "försök igen") +
            " Det du skrev finns kvar i formuläret.";
        }
      })
      .catch(function () { status.textContent = "Ingen kontakt med servern. Det du skrev finns kvar i formuläret; vi försöker igen."; })
      .then(function () {
        saving = false;
        // A button pressed during the autosave goes out now, with the version it returned.
        if (pendingSubmit) { var button = pendingSubmit; pendingSubmit = null; form.requestSubmit(button); }
        else if (dirty) schedule();
      });
  }
  function schedule() { dirty = true; clearTimeout(timer); timer = setTimeout(save, DELAY); }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    if (saving) {  // wait for the autosave in flight, or the form would carry an old version
      event.preventDefault();
      pendingSubmit = event.submitter || form.querySelector("[type=submit]");
      return;
    }
    stopped = true;  // the form itself saves now; no beacon on the way out
  });
  window.addEventListener("pagehide", function () {
    if (!stopped && snapshot() !== saved && navigator.sendBeacon) navigator.sendBeacon(url, body());
  });
  var copy = document.getElementById("copy-previous");
  if (copy) copy.addEventListener("click", function () {
    var text = form.querySelector("textarea[name=text]") || form.querySelector("textarea");
    if (!text) return;
    var previous = document.getElementById("previous-text").textContent;
    text.value = text.value ? text.value + "\n\n" + previous : previous;
    text.focus(); schedule();
    status.textContent = "Förra årets svar är kopierat till ditt svar.";
  });
})();
