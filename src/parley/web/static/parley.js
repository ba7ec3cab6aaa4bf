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

  // "Back" returns to the previous page of this site when there is one, else follows its link.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-back]");
    if (!link || !document.referrer) return;
    if (new URL(document.referrer).origin === location.origin && history.length > 1) {
      event.preventDefault();
      history.back();
    }
  });

  // htmx keeps focus on a swapped element with the same id; an action chosen from a menu
  // returns focus to the menu's button, so keyboard users stay where they were.
  var restoreId = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    var menu = active && active.closest ? active.closest("details.menu") : null;
    var target = menu ? menu.querySelector("summary") : active;
    restoreId = target && target.id ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var active = document.activeElement;
    if (restoreId && (!active || active === document.body)) {
      var again = document.getElementById(restoreId);
      if (again) again.focus();
    }
    restoreId = null;
  });

  // An htmx action that failed (a 4xx page) shows its message instead of silently doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var page = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
    var text = page.querySelector("main p:not(.error-code)");
    toast(text ? text.textContent : "That did not work. Please try again.");
  });

  function toast(message) {
    var box = document.getElementById("toast");
    if (!box) {
      box = document.createElement("div");
      box.id = "toast";
      box.className = "toast";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.textContent = message;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 5000);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();

// Media: previews of chosen files in the composer, and a lightbox for pictures in posts
// (Escape closes it, arrow keys move through the post's pictures, focus returns after).
(function () {
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-media-input]")) return;
    var preview = document.querySelector('[data-preview-for="' + input.id + '"]');
    if (!preview) return;
    var file = input.files && input.files[0];
    if (file && file.type.indexOf("image/") === 0) {
      preview.src = URL.createObjectURL(file);
      preview.hidden = false;
    } else {
      preview.removeAttribute("src");
      preview.hidden = true;
    }
  });

  var dialog = null, items = [], index = 0, opener = null;
  function show() {
    var link = items[index];
    var img = dialog.querySelector("img");
    img.src = link.getAttribute("href");
    img.alt = link.getAttribute("data-alt") || "";
    dialog.querySelector(".lightbox-alt").textContent = link.getAttribute("data-alt") || "";
    dialog.querySelector(".lightbox-count").textContent = items.length > 1 ? (index + 1) + " / " + items.length : "";
  }
  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.setAttribute("aria-label", "Picture");
    dialog.innerHTML = '<button type="button" class="lightbox-close" aria-label="Close">×</button>' +
      '<button type="button" class="lightbox-prev" aria-label="Previous picture">‹</button>' +
      '<figure><img alt=""><figcaption><span class="lightbox-count"></span> <span class="lightbox-alt"></span></figcaption></figure>' +
      '<button type="button" class="lightbox-next" aria-label="Next picture">›</button>';
    document.body.appendChild(dialog);
    dialog.querySelector(".lightbox-close").addEventListener("click", function () { dialog.close(); });
    dialog.querySelector(".lightbox-prev").addEventListener("click", function () { move(-1); });
    dialog.querySelector(".lightbox-next").addEventListener("click", function () { move(1); });
    dialog.addEventListener("keydown", function (e) {
      if (e.key === "ArrowLeft") { move(-1); e.preventDefault(); }
      if (e.key === "ArrowRight") { move(1); e.preventDefault(); }
    });
    dialog.addEventListener("close", function () { if (opener) opener.focus(); });
    dialog.addEventListener("click", function (e) { if (e.target === dialog) dialog.close(); });
  }
  function move(step) {
    index = (index + step + items.length) % items.length;
    show();
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-lightbox]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    if (!dialog) build();
    items = Array.prototype.slice.call(
      document.querySelectorAll('a[data-lightbox="' + link.getAttribute("data-lightbox") + '"]'));
    index = items.indexOf(link);
    opener = link;
    show();
    dialog.showModal();
    dialog.querySelector(".lightbox-close").focus();
  });
})();
