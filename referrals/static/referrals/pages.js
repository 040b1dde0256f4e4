/* Small progressive enhancements; every page works without them. */
(function () {
  "use strict";

  // A referral form is sent once: a second click while the first is on its way
  // would make a second referral.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) return;
    if (form.dataset.sent === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "true";
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.dataset.label = button.textContent;
      button.setAttribute("aria-disabled", "true");
      button.textContent = "Sending…";
    });
  });

  // Coming back to the page (browser Back) makes the form usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      if (form.dataset.sent !== "true") return;
      form.dataset.sent = "false";
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.removeAttribute("aria-disabled");
        button.textContent = button.dataset.label || "Send referral";
      });
    });
  });

  // Errors on the referral form: move focus to the summary so it is read out.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });

  // The queue refreshes itself; say so plainly when it cannot.
  function refreshFailed(failed) {
    var notice = document.getElementById("refresh-error");
    if (notice) notice.hidden = !failed;
  }
  document.addEventListener("htmx:sendError", function () { refreshFailed(true); });
  document.addEventListener("htmx:responseError", function () { refreshFailed(true); });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "queue") {
      refreshFailed(false);
    }
  });
})();
