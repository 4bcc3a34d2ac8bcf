// Polls the report job and replaces the status text; the region is aria-live so screen
// readers hear when the report is ready. Without JavaScript the "Uppdatera sidan" link works.
(function () {
  var region = document.getElementById("report-status");
  if (!region) return;
  document.documentElement.classList.add("js");
  var url = region.getAttribute("data-status-url");
  var shown = null;
  function render(data) {
    var finished = data.state === "done" || data.state === "failed";
    // Re-render only on a change, so screen readers are not told the same thing every poll.
    if (data.state + data.label === shown) return finished;
    shown = data.state + data.label;
    region.textContent = "";
    var p = document.createElement("p");
    if (data.state === "done" && data.download_url) {
      p.appendChild(document.createTextNode("Rapporten är klar. "));
      var a = document.createElement("a");
      a.href = data.download_url;
      a.className = "button";
      a.textContent = "Ladda ner rapporten (.docx)";
      p.appendChild(a);
    } else if (data.state === "failed") {
      p.className = "error-text";
      p.textContent = "Rapporten kunde inte byggas. " + (data.error || "");
    } else {
      p.textContent = "Rapporten byggs (" + data.label.toLowerCase() + "). Sidan uppdateras av sig själv när den är klar.";
    }
    region.appendChild(p);
    return finished;
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (!render(data)) setTimeout(poll, 2000); })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1500);
})();
