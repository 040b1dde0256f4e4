/* Alerts (issue 11): progressive enhancements; every page works without them.
 *
 * 1. Live time left: each ".time-left[data-due]" on the notifications page is
 *    rewritten every 30 seconds from its due time, in the words the server
 *    uses ("MRI due in 2 h 59 min", "MRI due now", "MRI overdue by 1 h"), and
 *    its "as of" time moves on with it.
 * 2. An optional audible alert, off by default and saved in this browser
 *    (localStorage): when the nav badge's 30-second poll brings a newer
 *    unread notification about an emergency referral, a short tone is
 *    played with the Web Audio API (no sound file). Every tone played adds
 *    one to document.body.dataset.alertsPlayed, for tests and for anyone
 *    checking that it works.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "mscc.audibleAlert";
  var MINUTE = 60 * 1000;

  // --- Live time left ---------------------------------------------------------

  function durationWords(ms) {
    var minutes = Math.max(Math.floor(ms / MINUTE), 0);
    var days = Math.floor(minutes / (24 * 60));
    minutes -= days * 24 * 60;
    var hours = Math.floor(minutes / 60);
    minutes -= hours * 60;
    if (days) return hours ? days + " d " + hours + " h" : days + " d";
    if (hours) return minutes ? hours + " h " + minutes + " min" : hours + " h";
    return minutes + " min";
  }

  function clockState(label, due, now) {
    var left = due - now;
    if (Math.abs(left) < MINUTE) return label + " due now";
    if (left > 0) return label + " due in " + durationWords(left);
    return label + " overdue by " + durationWords(-left);
  }

  var asOfFormat = null;
  try {
    asOfFormat = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      timeZoneName: "short"
    });
  } catch (error) {
    asOfFormat = null;
  }

  function refreshTimes() {
    var now = Date.now();
    document.querySelectorAll(".time-left[data-due]").forEach(function (element) {
      var due = Date.parse(element.dataset.due);
      if (isNaN(due)) return;
      element.textContent = clockState(element.dataset.label || "Clock", due, now);
      var clock = element.closest(".alert-clock");
      if (clock) clock.classList.toggle("alert-clock--overdue", due <= now);
      var asOf = clock && clock.querySelector("[data-as-of]");
      if (asOf && asOfFormat) asOf.textContent = asOfFormat.format(new Date(now)).replace(",", "");
    });
  }

  // --- The audible alert ----------------------------------------------------------

  function enabled() {
    try {
      return window.localStorage.getItem(STORAGE_KEY) === "on";
    } catch (error) {
      return false;
    }
  }

  var audio = null;

  function audioContext() {
    var AudioContextClass = window.AudioContext || window.webkitAudioContext;
    if (!AudioContextClass) return null;
    if (!audio) audio = new AudioContextClass();
    if (audio.state === "suspended") audio.resume();
    return audio;
  }

  function playTone() {
    var context = audioContext();
    if (!context) return;
    var start = context.currentTime;
    // Two short beeps at 880 Hz: heard over a ward, not a siren.
    [0, 0.3].forEach(function (offset) {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.3, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.22);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.25);
    });
    var played = parseInt(document.body.dataset.alertsPlayed || "0", 10);
    document.body.dataset.alertsPlayed = String(played + 1);
  }

  // The newest unread emergency notification the page has seen (milliseconds
  // since the epoch, from the badge): only a newer one sounds.
  var seen = 0;

  function badgeEmergency() {
    var badge = document.getElementById("nav-notifications");
    return badge ? parseInt(badge.dataset.emergency || "0", 10) || 0 : 0;
  }

  function checkBadge() {
    var latest = badgeEmergency();
    if (latest > seen && enabled()) playTone();
    seen = Math.max(seen, latest);
  }

  function setUpToggle() {
    var box = document.getElementById("audible-alert-toggle");
    var panel = document.getElementById("audible-alert");
    if (!box || !panel) return;
    box.checked = enabled();
    panel.hidden = false;
    box.addEventListener("change", function () {
      try {
        window.localStorage.setItem(STORAGE_KEY, box.checked ? "on" : "off");
      } catch (error) {
        box.checked = false;
      }
      // A click is what lets a browser start sound later: open the audio now.
      if (box.checked) audioContext();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    seen = badgeEmergency();
    document.body.dataset.alertsPlayed = document.body.dataset.alertsPlayed || "0";
    setUpToggle();
    if (document.querySelector(".time-left[data-due]")) {
      refreshTimes();
      window.setInterval(refreshTimes, 30 * 1000);
    }
  });

  // The badge swaps itself (htmx) only when it changed.
  document.addEventListener("htmx:afterSettle", checkBadge);
})();
