// Small enhancements on top of pages that work without JavaScript.
(function () {
  "use strict";

  // Characters left in the composer; the server enforces the limit either way.
  function updateCounter(textarea) {
    var out = document.getElementById(textarea.dataset.counter);
    if (!out) return;
    var max = parseInt(textarea.dataset.max, 10);
    var cw = textarea.form && textarea.form.querySelector("[name=spoiler_text]");
    var used = Array.from(textarea.value).length + (cw ? Array.from(cw.value).length : 0);
    var left = max - used;
    out.textContent = left;
    out.classList.toggle("over", left < 0);
    out.setAttribute("aria-label", left < 0 ? -left + " characters over the limit" : left + " characters left");
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.matches && target.matches("textarea[data-counter]")) updateCounter(target);
    if (target.matches && target.matches("[name=spoiler_text]") && target.form) {
      var body = target.form.querySelector("textarea[data-counter]");
      if (body) updateCounter(body);
    }
  });

  function init(root) {
    root.querySelectorAll("textarea[data-counter]").forEach(updateCounter);
  }

  // Close an open <details> menu on outside click or Escape (returning focus to its toggle).
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary && menu.contains(document.activeElement)) summary.focus();
    });
  });

  // Confirm destructive actions when JavaScript is on; without it the confirm page asks.
  document.addEventListener("submit", function (event) {
    var message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
