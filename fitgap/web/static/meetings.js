// Live meeting screens: pause polling while the tab is hidden or the user paused it
// (WCAG 2.2.2), and tick the item timer locally. No inline scripts (CSP), no eval.
(function () {
  "use strict";
  var paused = false;
  var timerBase = 0;
  var timerStart = 0;

  // The element that polls: the room's and the towns' current item, or the console's watch.
  function liveElement() { return document.querySelector("[data-live]"); }

  function format(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var mm = (h && m < 10 ? "0" : "") + m;
    return (h ? h + ":" + mm : mm) + ":" + (s < 10 ? "0" : "") + s;
  }

  function resetTimer() {
    var timer = document.querySelector(".timer[data-tick]");
    timerBase = timer ? Number(timer.getAttribute("data-elapsed")) || 0 : 0;
    timerStart = Date.now();
  }

  function tick() {
    if (paused || document.hidden) { return; }
    // Only a live page's timer runs: a page opened paused (?live=0) stays still.
    var timer = document.querySelector(".timer[data-tick]");
    if (timer) {
      timer.textContent = format(timerBase + Math.floor((Date.now() - timerStart) / 1000));
    }
  }

  function wake() {
    var element = liveElement();
    if (element && window.htmx && !paused && !document.hidden) {
      window.htmx.trigger(element, "fitgap-wake");
    }
  }

  // Cancel the poll request (htmx keeps its timer) while hidden or paused.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    if (source && source.hasAttribute("data-live") && (paused || document.hidden)) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:afterSettle", resetTimer);

  // The console follows changes made elsewhere by swapping its parts out of band; a part that
  // holds what the moderator is typing (or the focus) stays as it is. Their own next post
  // brings the whole console anew, and a stale decision form is refused (409), never applied.
  function edited(field) {
    if (field.type === "hidden" || field.type === "submit" || field.type === "button") {
      return false;
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.tagName === "SELECT") {
      // A list without a `selected` option shows its first one: that is its starting value.
      var initial = 0;
      Array.prototype.forEach.call(field.options, function (option, index) {
        if (option.defaultSelected) { initial = index; }
      });
      return field.selectedIndex !== initial;
    }
    return field.value !== field.defaultValue;
  }

  function inUse(part) {
    if (part.matches("[data-unsaved]") || part.querySelector("[data-unsaved]")) {
      return true;
    }
    var active = document.activeElement;
    if (active && active !== document.body && part.contains(active) &&
        active.matches("input, textarea, select")) {
      return true;
    }
    return Array.prototype.some.call(part.querySelectorAll("input, textarea, select"), edited);
  }

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var part = event.detail && event.detail.target;
    if (part && part.closest && part.closest("#console-body") && inUse(part)) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { wake(); }
  });

  function setup() {
    resetTimer();
    window.setInterval(tick, 1000);
    var toggle = document.querySelector("[data-live-toggle]");
    var state = document.querySelector("[data-live-state]");
    if (!toggle) { return; }
    // With JavaScript the link becomes a pause/resume button that keeps the page.
    toggle.setAttribute("role", "button");
    toggle.setAttribute("aria-pressed", "false");
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      paused = !paused;
      toggle.setAttribute("aria-pressed", paused ? "true" : "false");
      toggle.textContent = toggle.getAttribute(paused ? "data-label-resume" : "data-label-pause");
      if (state) {
        state.textContent = state.getAttribute(paused ? "data-text-paused" : "data-text-live");
      }
      if (!paused) { wake(); }
    });
    toggle.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); toggle.click(); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
