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
          var refused = showErrors(data.errors || {});
          status.textContent = refused.length
            ? "Sparat kl. " + data.saved_at + ", utom " + refused.length + " fält med fel: " +
              refused.join(" ") +
              " Det du skrev finns kvar i formuläret."
            : "Sparat kl. " + data.saved_at;
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
  // One refused field does not sink the save: the server keeps every valid field and names the
  // refused ones. Each is shown at its field (as the server renders it) and listed at the top.
  var summary = document.getElementById("field-errors");
  function showErrors(errors) {
    var messages = [];
    var list = summary ? summary.querySelector("ul") : null;
    if (list) list.textContent = "";
    form.querySelectorAll(".question[data-field]").forEach(function (box) {
      var fid = box.getAttribute("data-field"), message = errors[fid];
      var control = document.getElementById(fid);
      var old = document.getElementById(fid + "-error");
      if (old) old.parentNode.removeChild(old);
      box.classList.toggle("field-error", !!message);
      if (!control) return;
      var ids = (control.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== fid + "-error";
      });
      if (message) {
        ids.push(fid + "-error");
        control.setAttribute("aria-invalid", "true");
        var p = document.createElement("p");
        p.className = "error-text"; p.id = fid + "-error";
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden"; hidden.textContent = "Fel: ";
        p.appendChild(hidden); p.appendChild(document.createTextNode(message));
        if (control.tagName === "FIELDSET") {
          var legend = control.querySelector("legend");
          control.insertBefore(p, legend ? legend.nextSibling : control.firstChild);
        } else {
          var before = control.closest(".with-unit") || control;
          before.parentNode.insertBefore(p, before);
        }
        if (list) {
          var item = document.createElement("li"), link = document.createElement("a");
          link.href = "#" + fid; link.textContent = message;
          item.appendChild(link); list.appendChild(item);
        }
        messages.push(message);
      } else {
        control.removeAttribute("aria-invalid");
      }
      if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
      else control.removeAttribute("aria-describedby");
    });
    if (summary) {
      summary.hidden = messages.length === 0;
      summary.removeAttribute("role");  // the status line announces; no second alert
    }
    return messages;
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
  // "Kopiera till mitt svar", per question: last round's value goes into the same question's
  // field (appended to a long text that already has words; chosen in a list).
  form.ownerDocument.querySelectorAll(".copy-previous").forEach(function (button) {
    button.addEventListener("click", function () {
      var fields = JSON.parse(button.getAttribute("data-fields"));
      var first = null;
      Object.keys(fields).forEach(function (name) {
        var value = fields[name];
        form.querySelectorAll("[name='" + CSS.escape(name) + "']").forEach(function (input) {
          if (input.type === "radio" || input.type === "checkbox") {
            var wanted = Array.isArray(value) ? value : [String(value)];
            input.checked = wanted.indexOf(input.value) !== -1;
            if (input.checked && !first) first = input;
          } else {
            input.value = input.tagName === "TEXTAREA" && input.value.trim()
              ? input.value + "\n\n" + value : String(value);
            if (!first) first = input;
          }
        });
      });
      if (!first) return;
      first.dispatchEvent(new Event("input", { bubbles: true }));
      first.dispatchEvent(new Event("change", { bubbles: true }));
      first.focus(); schedule();
      status.textContent = "Förra omgångens svar på ”" + button.getAttribute("data-label") +
        "” är kopierat till ditt svar.";
    });
  });
})();
