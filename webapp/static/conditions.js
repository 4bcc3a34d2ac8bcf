// Questions with a condition (data-show-if="<field name>", data-show-if-value="<answer>") are
// hidden while the condition does not hold. Without JavaScript they stay visible, each with a
// sentence saying when to answer it; the server ignores an answer the condition excludes.
(function () {
  document.querySelectorAll("form").forEach(function (form) {
    var blocks = form.querySelectorAll("[data-show-if]");
    if (!blocks.length) return;
    function apply() {
      var data = new FormData(form);
      blocks.forEach(function (block) {
        var answers = data.getAll(block.getAttribute("data-show-if"));
        block.hidden = answers.indexOf(block.getAttribute("data-show-if-value")) === -1;
      });
    }
    apply();
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
  });
})();
