// Character counters: the limit is stated under the field before anyone types (the page says
// "Högst N tecken."); while typing it says how many are left or how many too many. Nothing is
// ever cut: the server refuses an over-long text with a message at the field. The count is
// announced politely a moment after typing stops, not on every key.
(function () {
  function format(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0"); }
  document.querySelectorAll(".counter[data-limit]").forEach(function (counter) {
    var field = document.getElementById(counter.getAttribute("data-for"));
    if (!field) return;
    var limit = parseInt(counter.getAttribute("data-limit"), 10);
    var live = document.createElement("span");
    live.className = "counter-live";
    live.setAttribute("aria-live", "polite");
    counter.appendChild(document.createTextNode(" "));
    counter.appendChild(live);
    var timer = null;
    function update() {
      var used = field.value.replace(/\r\n/g, "\n").length;
      var left = limit - used;
      counter.classList.toggle("counter-over", left < 0);
      clearTimeout(timer);
      timer = setTimeout(function () {
        live.textContent = left >= 0 ? "Du har " + format(left) + " tecken kvar."
          : "Du har " + format(-left) + " tecken för mycket.";
      }, 800);
    }
    field.addEventListener("input", update);
    if (field.value.length > limit * 0.8) update();
  });
})();
