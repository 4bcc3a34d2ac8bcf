// Autosave: a few seconds after the last keystroke the text is saved with the version it
// started from; the status line (role=status) says when. If a colleague saved in between,
// autosave stops and the person chooses with the Save button (the server shows both texts).
// When the tab is closed mid-sentence, the last text goes out with sendBeacon.
(function () {
  var form = document.getElementById("answer-form");
  if (!form) return;
  document.documentElement.classList.add("js");
  var url = form.getAttribute("data-autosave-url");
  var text = form.querySelector("textarea[name=text]");
  var version = form.querySelector("input[name=expected_version]");
  var token = form.querySelector("input[name=csrf_token]").value;
  var status = document.getElementById("autosave-status");
  var DELAY = 3000;
  var timer = null, saving = false, dirty = false, stopped = false, saved = text.value;
  var pendingSubmit = null;

  function body() {
    var data = new FormData();
    data.append("csrf_token", token);
    data.append("text", text.value);
    data.append("expected_version", version.value);
    return data;
  }
  function save() {
    if (stopped || saving || text.value === saved) return;
    saving = true; dirty = false;
    var sent = text.value;
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
            " Din text finns kvar i fältet.";
        }
      })
      .catch(function () { status.textContent = "Ingen kontakt med servern. Din text finns kvar i fältet; vi försöker igen."; })
      .then(function () {
        saving = false;
        // A button pressed during the autosave goes out now, with the version it returned.
        if (pendingSubmit) { var button = pendingSubmit; pendingSubmit = null; form.requestSubmit(button); }
        else if (dirty) schedule();
      });
  }
  function schedule() { dirty = true; clearTimeout(timer); timer = setTimeout(save, DELAY); }
  text.addEventListener("input", schedule);
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
    if (!stopped && text.value !== saved && navigator.sendBeacon) navigator.sendBeacon(url, body());
  });
  var copy = document.getElementById("copy-previous");
  if (copy) copy.addEventListener("click", function () {
    var previous = document.getElementById("previous-text").textContent;
    text.value = text.value ? text.value + "\n\n" + previous : previous;
    text.focus(); schedule();
    status.textContent = "Förra årets svar är kopierat till ditt svar.";
  });
})();
