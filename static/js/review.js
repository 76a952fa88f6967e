// Keyboard shortcuts for reviewers (shown on the page): an element with data-shortcut="x" is clicked
// when x is pressed outside a text field. Reject and request changes need a reason: their key opens
// the reason picker; Enter there submits with that outcome. J/K also move through the queue's rows.
(function () {
  "use strict";
  var pending = null; // the button that waits for a reason

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  // The undo offer counts down, then goes: after the window the decision takes effect.
  var offer = document.querySelector("[data-undo]");
  if (offer) {
    var left = parseInt(offer.getAttribute("data-seconds"), 10);
    var shown = offer.querySelector("[data-undo-left]");
    var timer = setInterval(function () {
      left -= 1;
      if (left > 0) { shown.textContent = String(left); return; }
      clearInterval(timer);
      offer.remove();
    }, 1000);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (event.key === "Enter" && pending && target.matches("select[name=reason_code]")) {
      event.preventDefault();
      pending.form.requestSubmit(pending);
      return;
    }
    if (typing(target)) return;
    var key = event.key.toLowerCase();
    var rows = document.querySelectorAll("[data-rows] [data-row]");
    if (rows.length && (key === "j" || key === "k" || key === "enter")) {
      var current = document.querySelector("[data-row].selected");
      var index = Array.prototype.indexOf.call(rows, current);
      if (key === "enter") {
        if (current) { current.querySelector("a").click(); event.preventDefault(); }
        return;
      }
      index = key === "j" ? Math.min(rows.length - 1, index + 1) : Math.max(0, index - 1);
      if (current) current.classList.remove("selected");
      rows[index].classList.add("selected");
      rows[index].querySelector("a").focus();
      event.preventDefault();
      return;
    }
    var element = document.querySelector('[data-shortcut="' + key + '"]');
    if (!element) return;
    event.preventDefault();
    if (element.hasAttribute("data-needs-reason")) {
      var picker = element.form.querySelector("select[name=reason_code]");
      if (picker && picker.value) { element.form.requestSubmit(element); return; }
      pending = element;
      if (picker) picker.focus();
      return;
    }
    if (element.tagName === "BUTTON" && element.form) element.form.requestSubmit(element);
    else element.click();
  });
})();
