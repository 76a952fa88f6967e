// Site behaviour beyond htmx, as script files (the Content-Security-Policy allows no inline script).

// Destructive actions ask first: a form with data-confirm="..." opens the page's <dialog> and is sent
// only after "Confirm". A script file, not inline, so the Content-Security-Policy allows it. A form marked
// data-confirm-if-changed asks only when its values differ from those it was loaded with.
(function () {
  "use strict";
  function values(form) { return new URLSearchParams(new FormData(form)).toString(); }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-confirm-if-changed]").forEach(function (form) {
      form.dataset.loadedWith = values(form);
    });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var asker = submitter && submitter.hasAttribute("data-confirm") ? submitter : form;
    var question = asker.getAttribute("data-confirm");
    if (!question || form.dataset.confirmed === "yes") return;
    if (form.hasAttribute("data-confirm-if-changed") && values(form) === form.dataset.loadedWith) return;
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") return; // no dialog support: the server still acts
    event.preventDefault();
    dialog.querySelector("[data-question]").textContent = question;
    dialog.querySelector("[data-confirm-button]").textContent = asker.getAttribute("data-confirm-label") || "Confirm";
    dialog.returnValue = "";
    dialog.addEventListener("close", function () {
      if (dialog.returnValue !== "confirm") return;
      form.dataset.confirmed = "yes";
      if (submitter && submitter.form === form) form.requestSubmit(submitter);
      else form.requestSubmit();
    }, { once: true });
    dialog.showModal();
  });
})();

// allauth's e-mail page asks before removing an address with an inline script, which the policy refuses;
// its button asks through the same dialog instead.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("button[name=action_remove]").forEach(function (button) {
    button.setAttribute("data-confirm", "Remove the selected email address? You can no longer sign in with it.");
    button.setAttribute("data-confirm-label", "Remove address");
  });
});

// A "Copy" button copies the text of the element its data-copy names (an invitation link, a new token).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
    });
  });
})();

// Toasts close by hand (no timer: people read at their own pace); an open menu closes on Escape or a click elsewhere.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) dismiss.closest(".message").remove();
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
})();

// The studio's clips: a card opens a large player (the lightbox) with download, copy and "use these
// settings"; a pointer hovering a card plays it muted (not when reduced motion is asked for); a clip
// that finishes while the page is open is announced in the page and, if allowed, by the browser.
(function () {
  "use strict";
  var lightbox = document.getElementById("lightbox");
  var calm = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var hover = window.matchMedia("(hover: hover)").matches;

  document.addEventListener("click", function (event) {
    var frame = event.target.closest("[data-lightbox]");
    if (frame && lightbox) {
      var video = lightbox.querySelector("video");
      video.poster = frame.dataset.poster;
      video.src = frame.dataset.video;
      lightbox.querySelector("#lightbox-title").textContent = frame.dataset.title;
      lightbox.querySelector("[data-settings]").textContent = frame.dataset.settings;
      var download = lightbox.querySelector("[data-download]");
      download.href = frame.dataset.video;
      download.setAttribute("download", frame.dataset.download);
      lightbox.querySelector("[data-use]").href = frame.dataset.use;
      lightbox.querySelector("[data-page]").href = frame.dataset.page;
      lightbox.querySelector("[data-copy-settings]").dataset.text = frame.dataset.title + "\n" + frame.dataset.settings;
      lightbox.showModal();
      return;
    }
    var copy = event.target.closest("[data-copy-settings]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(copy.dataset.text).then(function () { copy.lastChild.textContent = "Copied"; });
    }
  });
  if (lightbox) {
    lightbox.addEventListener("close", function () { lightbox.querySelector("video").pause(); });
  }

  if (hover && !calm) {
    document.addEventListener("mouseover", function (event) {
      var frame = event.target.closest(".clip [data-lightbox]");
      if (!frame || frame.querySelector("video")) return;
      var preview = document.createElement("video");
      preview.muted = true; preview.loop = true; preview.playsInline = true; preview.src = frame.dataset.video;
      preview.setAttribute("aria-hidden", "true");
      frame.replaceChild(preview, frame.querySelector("img"));
      preview.play().catch(function () {});
      frame.addEventListener("mouseleave", function () {
        var still = document.createElement("img");
        still.src = frame.dataset.poster; still.alt = "";
        frame.replaceChild(still, preview);
      }, { once: true });
    });
  }

  var ask = document.querySelector("[data-ask-notifications]");
  if (ask && "Notification" in window && Notification.permission === "default") {
    ask.hidden = false;
    ask.addEventListener("click", function () {
      Notification.requestPermission().then(function () { ask.hidden = true; });
    });
  }
  function toast(text) {
    var list = document.querySelector(".messages");
    if (!list) {
      list = document.createElement("ul");
      list.className = "messages"; list.setAttribute("role", "status"); list.setAttribute("aria-live", "polite");
      document.body.appendChild(list);
    }
    var item = document.createElement("li");
    item.className = "message success";
    item.textContent = text + " ";
    var close = document.createElement("button");
    close.type = "button"; close.className = "link"; close.textContent = "Dismiss"; close.setAttribute("data-dismiss", "");
    item.appendChild(close);
    list.appendChild(item);
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var before = event.detail.elt;
    if (!before.classList || !before.classList.contains("clip")) return;
    var wasWaiting = before.dataset.state === "queued" || before.dataset.state === "running";
    if (wasWaiting && /data-state="succeeded"/.test(event.detail.serverResponse)) {
      var text = "Your clip is ready: " + before.dataset.prompt;
      toast(text);
      if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
        new Notification("Vernissage", { body: text, icon: document.querySelector("link[rel=icon]").href });
      }
    }
  });
})();

// A table wider than a phone scrolls inside its card; a region that scrolls must be reachable by
// keyboard, so it becomes focusable (and is named after its heading) once it actually overflows.
(function () {
  "use strict";
  function markScrollers(root) {
    root.querySelectorAll(".table-wrap, section.card").forEach(function (region) {
      if (region.scrollWidth > region.clientWidth + 1 && !region.hasAttribute("tabindex")) {
        region.setAttribute("tabindex", "0");
        var heading = region.querySelector("h2, h3");
        if (!region.hasAttribute("aria-label") && !region.hasAttribute("aria-labelledby")) {
          region.setAttribute("role", "region");
          region.setAttribute("aria-label", heading ? heading.textContent.trim() : "Scrollable table");
        }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { markScrollers(document); });
  window.addEventListener("resize", function () { markScrollers(document); });
  document.addEventListener("htmx:afterSettle", function (event) { markScrollers(event.target.parentNode || document); });
})();

// Tables become cards on a phone (site.css): each cell learns its column's name from the header row.
// On a phone the main menu folds behind a "Menu" button; without script it stays open.
(function () {
  "use strict";
  function label(root) {
    root.querySelectorAll("main table").forEach(function (table) {
      var headers = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      if (!headers.length) return;
      table.classList.add("cards");
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var span = cell.colSpan || 1;
          if (!cell.hasAttribute("data-label")) cell.setAttribute("data-label", span > 1 ? "" : headers[column] || "");
          column += span;
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    label(document);
    var header = document.querySelector(".site-header");
    var toggle = header && header.querySelector(".nav-toggle");
    if (!toggle) return;
    header.classList.add("collapsible");
    toggle.addEventListener("click", function () {
      var open = header.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) { label(event.target.ownerDocument); });
})();

// The triage form: Save waits until an outcome is chosen, and the award that outcome (and severity)
// earns is shown from the rate card before saving. The server refuses a missing outcome as well.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var form = document.querySelector("[data-triage-form]");
  if (!form) return;
  var previews = JSON.parse(document.getElementById("award-previews").textContent);
  var outcome = form.querySelector("[name=outcome]");
  var severity = form.querySelector("[name=severity]");
  var save = form.querySelector("[data-needs-outcome]");
  var shown = form.querySelector("[data-award-preview]");
  function update() {
    save.disabled = !outcome.value;
    if (!outcome.value) { shown.textContent = "Choose an outcome to see what it earns."; return; }
    var key = outcome.value + "|" + (severity ? severity.value : "");
    shown.textContent = previews[key] || previews[outcome.value + "|"] || "";
  }
  outcome.addEventListener("change", update);
  if (severity) severity.addEventListener("change", update);
  update();
});
