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

  // The queue and the referral page refresh themselves; say so plainly when
  // they cannot.
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
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.elt && event.detail.elt.id === "live-refresh" &&
        event.detail.successful) {
      refreshFailed(false);
    }
  });

  // The referral page refreshes its panels every 30 seconds, except while a
  // form on a clock or an event is open: a half-typed reason is never wiped.
  window.msccLiveIdle = function () {
    return !document.querySelector(".live details[open]");
  };
  // Here rather than as an htmx trigger filter ("every 30s [...]"), which
  // htmx evaluates as a string: the Content-Security-Policy forbids that.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "live-refresh" && !window.msccLiveIdle()) event.preventDefault();
  });

  // After a form is answered in place: move focus to its first error, or to
  // the line saying what was recorded, so keyboard and screen-reader users
  // are not left on a button that no longer exists. Only for a form the user
  // sent: the 30-second refresh never moves focus.
  var answered = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || elt.tagName !== "FORM") return;
    var panel = elt.closest("[id]");
    answered = panel ? panel.id : null;
  });
  function focusAnswer(id) {
    var panel = document.getElementById(id);
    if (!panel) return;
    var form = panel.querySelector("form[data-has-errors]");
    var target = (form && form.querySelector("[aria-invalid=true]")) ||
      panel.querySelector(".field-error") || panel.querySelector("[data-done]");
    if (target) target.focus();
  }
  // The corner notice says what was just recorded; it goes after a while so
  // that it never hides the page for long (the form keeps its own line).
  var noticeTimer = null;
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var notice = document.getElementById("detail-notice");
    if (notice && event.target === notice) {
      window.clearTimeout(noticeTimer);
      noticeTimer = window.setTimeout(function () { notice.innerHTML = ""; }, 10000);
    }
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    if (answered === null) return;
    var id = answered;
    answered = null;
    window.setTimeout(function () { focusAnswer(id); }, 0);
  });
})();

// A date-and-time box is drawn by the browser in its own locale, month first
// in a US-set browser (mm/dd/yyyy). What was chosen is repeated beside it,
// written out, so 03/04 is never read the wrong way round (issue 11).
(function () {
  "use strict";
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function writtenOut(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(value || "");
    if (!m) return "";
    var day = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    var text = DAYS[day.getUTCDay()] + " " + (+m[3]) + " " + MONTHS[+m[2] - 1] + " " + m[1];
    return m[4] ? text + ", " + m[4] + ":" + m[5] + " UK time" : text;
  }
  function show(input) {
    var words = input.nextElementSibling;
    if (!words || !words.classList.contains("date-words")) {
      words = document.createElement("p");
      words.className = "date-words";
      words.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", words);
    }
    var text = writtenOut(input.value);
    words.textContent = text ? "Chosen: " + text : "";
  }
  var SELECTOR = "input[type=datetime-local], input[type=date]";
  function showAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(SELECTOR), show);
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(SELECTOR)) show(event.target);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(SELECTOR)) show(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () { showAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { showAll(event.target); });
  window.msccWrittenOut = writtenOut;
})();
