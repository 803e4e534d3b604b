/* fitgap.js: progressive enhancement only. Every page works without it (plain links and
   forms); this adds keyboard shortcuts in the grid, collapsible headings, conflict and error
   handling for htmx, note drafts kept in the browser, and retries when the network fails.
   Loaded from /static (the Content-Security-Policy allows no inline script). */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  if (window.htmx) {
    // A request that hangs counts as failed, so it can be retried.
    window.htmx.config.timeout = 15000;
  }

  function notice(text) {
    var box = document.getElementById("notice");
    if (box) {
      box.textContent = text;
    }
  }

  function message(name) {
    var box = document.getElementById("notice");
    return (box && box.getAttribute("data-msg-" + name)) || "";
  }

  // --- answers htmx does not swap by default --------------------------------------------------

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      // A conflict answer carries both versions and the choice, a 422 the form with what to
      // fix: show them.
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (status >= 400 && event.detail.xhr.getResponseHeader("HX-Retarget")) {
      // An error the server explained and sent to the notice box (an expired page, a refusal).
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (status === 403) {
      notice(message("forbidden"));
    } else if (status >= 400 && status < 500) {
      notice(message("error"));
    }
  });

  // --- retries and warnings when the network fails --------------------------------------------

  function failed(event) {
    var elt = requester(event);
    var form = elt && elt.matches && elt.matches("form[data-retry]") ? elt : null;
    if (!form || !form.isConnected) {
      notice(message("network"));
      return;
    }
    var tries = Number(form.getAttribute("data-tries") || "0");
    var warning = form.querySelector(".save-warning");
    if (tries < Number(form.getAttribute("data-retry"))) {
      form.setAttribute("data-tries", String(tries + 1));
      if (warning) {
        warning.textContent = form.getAttribute("data-msg-retrying");
        warning.hidden = false;
      }
      window.setTimeout(function () {
        if (form.isConnected) {
          window.htmx.trigger(form, "submit");
        }
      }, Number(form.getAttribute("data-retry-ms") || "500") * Math.pow(2, tries));
      return;
    }
    form.setAttribute("data-tries", "0");
    if (warning) {
      warning.textContent = form.getAttribute("data-msg-failed");
      warning.hidden = false;
    }
    notice(form.getAttribute("data-msg-failed"));
  }

  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:timeout", failed);
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status >= 500) {
      failed(event);
    }
  });

  function requester(event) {
    // htmx re-fires events of a swapped-out element on an ancestor and then detail.elt is
    // that ancestor; requestConfig.elt is always the element that sent the request.
    var config = event.detail.requestConfig;
    return (config && config.elt) || event.detail.elt;
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = requester(event);
    // A refusal sent to the notice box (HX-Retarget) counts as "successful" for htmx, as fitgap
    // swaps it in; but it saved nothing and left the form as it was: keep the draft and the
    // message. (A conflict or a form sent back redraws the editor with what was typed.)
    var xhr = event.detail.xhr;
    var refused = xhr && xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget");
    var draftForm = elt && elt.matches && elt.matches("form[data-draft-key]");
    if (event.detail.successful && !refused && draftForm) {
      forget(elt.getAttribute("data-draft-key"));
      notice("");
    }
  });

  // --- note drafts kept in the browser until they are saved -----------------------------------

  function remember(key, text) {
    try {
      window.localStorage.setItem(key, text);
    } catch (error) {
      /* storage full or disabled: the draft is only in the page */
    }
  }

  function recall(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (error) {
      return null;
    }
  }

  function forget(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      /* nothing to forget */
    }
  }

  function setUpDraft(form) {
    var key = form.getAttribute("data-draft-key");
    var note = form.querySelector("textarea[name=note]");
    if (!key || !note || form.hasAttribute("data-draft-ready")) {
      return;
    }
    form.setAttribute("data-draft-ready", "");
    var kept = recall(key);
    if (kept !== null && kept === note.value) {
      forget(key);
    } else if (kept !== null) {
      note.value = kept;
      var info = document.createElement("p");
      info.className = "draft-restored";
      info.textContent = form.getAttribute("data-msg-restored") + " ";
      var discard = document.createElement("button");
      discard.type = "button";
      discard.textContent = form.getAttribute("data-msg-discard");
      discard.addEventListener("click", function () {
        note.value = note.defaultValue;
        forget(key);
        info.remove();
        note.focus();
      });
      info.appendChild(discard);
      note.parentNode.insertBefore(info, note);
    }
    note.addEventListener("input", function () {
      remember(key, note.value);
    });
  }

  // --- the grid: status buttons as one tab stop per row, keys 1–5 and arrows ------------------

  function rovingTabs(root) {
    root.querySelectorAll(".status-buttons").forEach(function (group) {
      var buttons = group.querySelectorAll("button");
      var pressed = group.querySelector("button[aria-pressed=true]") || buttons[0];
      buttons.forEach(function (button) {
        button.tabIndex = button === pressed ? 0 : -1;
      });
    });
  }

  function visibleRow(row, step) {
    var next = step > 0 ? row.nextElementSibling : row.previousElementSibling;
    while (next && (next.hidden || !next.querySelector(".status-buttons"))) {
      next = step > 0 ? next.nextElementSibling : next.previousElementSibling;
    }
    return next;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target.closest || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var button = target.closest(".status-buttons button");
    if (!button) {
      return;
    }
    var buttons = Array.prototype.slice.call(button.parentNode.querySelectorAll("button"));
    var index = buttons.indexOf(button);
    var move = null;
    if (event.key >= "1" && event.key <= String(buttons.length)) {
      var chosen = buttons[Number(event.key) - 1];
      chosen.focus();
      chosen.click();
      event.preventDefault();
      return;
    }
    if (event.key === "ArrowRight") {
      move = buttons[Math.min(index + 1, buttons.length - 1)];
    } else if (event.key === "ArrowLeft") {
      move = buttons[Math.max(index - 1, 0)];
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var row = visibleRow(button.closest("tr"), event.key === "ArrowDown" ? 1 : -1);
      if (row) {
        move = row.querySelectorAll(".status-buttons button")[index];
      }
    }
    if (move) {
      buttons.forEach(function (other) {
        other.tabIndex = -1;
      });
      move.tabIndex = 0;
      move.focus();
      event.preventDefault();
    }
  });

  // --- collapsible 大項目 / 中項目 headings ----------------------------------------------------

  function applyGroups(body) {
    var closedTop = false;
    var closedSub = false;
    Array.prototype.forEach.call(body.rows, function (row) {
      var toggle = row.querySelector(".group-toggle");
      if (row.classList.contains("group-row") && toggle) {
        var open = toggle.getAttribute("aria-expanded") === "true";
        if (row.classList.contains("level-1")) {
          closedTop = !open;
          closedSub = false;
          row.hidden = false;
        } else {
          row.hidden = closedTop;
          closedSub = !open;
        }
      } else if (row.id !== "more-rows") {
        row.hidden = closedTop || closedSub;
      }
    });
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".group-toggle");
    if (!toggle) {
      return;
    }
    var open = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", open ? "false" : "true");
    applyGroups(toggle.closest("tbody"));
  });

  // --- search while typing, but not while a Japanese input method is still converting -------
  // Typing てんにゅう and converting it to 転入 fires input events for every kana; searching on
  // them would flash "0 件" and push half-typed words into the address and the history. Those
  // events are stopped before htmx sees them (capture phase on the document); when the
  // conversion is committed, one input event starts the search once.

  var composing = false;

  function searchField(target) {
    return target && target.matches && target.matches("input[type=search][data-search]");
  }

  document.addEventListener("compositionstart", function (event) {
    if (searchField(event.target)) {
      composing = true;
    }
  }, true);
  document.addEventListener("compositionend", function (event) {
    if (searchField(event.target)) {
      composing = false;
      event.target.dispatchEvent(new Event("input", {bubbles: true}));
    }
  }, true);
  ["input", "keyup", "change"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (searchField(event.target) && (composing || event.isComposing)) {
        event.stopPropagation();
      }
    }, true);
  });

  // --- a confirmation before a button that cannot be undone (without JS: no question) -------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // --- the idle timeout: a warning before it, with a way to stay signed in -------------------

  var idleDeadline = null;
  var idleReloading = false;

  function setIdle(seconds) {
    if (seconds !== null && seconds !== "" && !isNaN(Number(seconds))) {
      idleDeadline = Date.now() + Number(seconds) * 1000;
    }
  }

  function checkIdle() {
    var box = document.getElementById("idle-warning");
    if (idleDeadline === null || !box) {
      return;
    }
    var warnMs = Number(document.body.getAttribute("data-idle-warning") || "120") * 1000;
    var left = idleDeadline - Date.now();
    if (left <= -1500) {
      // The server has signed the session out: ask for the page again, which leads to the
      // sign-in page with an explanation (a GET, never a repeated form).
      if (!idleReloading) {
        idleReloading = true;
        window.location.assign(window.location.href);
      }
      return;
    }
    if (left <= warnMs) {
      var countdown = box.querySelector("[data-idle-countdown]");
      if (countdown) {
        var seconds = String(Math.max(0, Math.ceil(left / 1000)));
        countdown.textContent = countdown.getAttribute("data-template").replace("{s}", seconds);
      }
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (xhr) {
      setIdle(xhr.getResponseHeader("X-Fitgap-Idle-Remaining"));
      checkIdle();
    }
  });

  function startIdle() {
    setIdle(document.body.getAttribute("data-idle-remaining"));
    if (idleDeadline !== null) {
      window.setInterval(checkIdle, 1000);
    }
  }

  function enhance(root) {
    rovingTabs(root);
    root.querySelectorAll("form[data-draft-key]").forEach(setUpDraft);
    if (root.matches && root.matches("form[data-draft-key]")) {
      setUpDraft(root);
    }
    var body = document.getElementById("function-rows");
    if (body) {
      applyGroups(body);
    }
  }

  if (window.htmx) {
    window.htmx.onLoad(enhance);
  } else {
    document.addEventListener("DOMContentLoaded", function () {
      enhance(document.body);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startIdle);
  } else {
    startIdle();
  }
})();

// --- the console keeps its scroll position when it swaps itself in place -------------------------
// The console body is replaced whole (outerHTML), or its parts out of band when it follows a
// change made elsewhere (its watch, #console-watch); the browser's scroll anchoring may then pick
// an anchor inside the new content and jump. The moderator stays where they were.
(function () {
  "use strict";
  var kept = null;
  function isConsole(target) {
    return target && (target.id === "console-body" || target.id === "console-watch");
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    kept = isConsole(target) ? window.scrollY : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (kept !== null && isConsole(target)) {
      window.scrollTo(window.scrollX, kept);
    }
    kept = null;
  });
})();
