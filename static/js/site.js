// Site behaviour beyond htmx, as script files (the Content-Security-Policy allows no inline script).

// Destructive actions ask first: a form with data-confirm="..." opens the page's <dialog> and is sent
// only after "Confirm". A script file, not inline, so the Content-Security-Policy allows it.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (!question || form.dataset.confirmed === "yes") return;
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") return; // no dialog support: the server still acts
    event.preventDefault();
    var submitter = event.submitter;
    dialog.querySelector("[data-question]").textContent = question;
    dialog.querySelector("[data-confirm-button]").textContent = form.getAttribute("data-confirm-label") || "Confirm";
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
