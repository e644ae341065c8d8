// Progressive enhancement for the survey pages. Everything works without it: the server
// decides visibility, saving, deadlines and conflicts; this script only mirrors and helps.
(function () {
  "use strict";

  var lang = (document.documentElement.lang || "en").slice(0, 2);
  var table = {
    en: { d: "d", h: "h", min: "min", left: "left", closed: "closed",
          saved: "Draft saved at ", errors: " – some answers need correcting",
          conflict: "Someone else changed an answer you edited: save the page to see both values.",
          login: "Your session expired: log in again (your draft up to the last save is kept).",
          failed: "Could not save just now; will retry. Your typing is still on this page.",
          yours: "your time: ", remove: "Remove this row", names: "short" },
    fr: { d: "j", h: "h", min: "min", left: "restant", closed: "clos",
          saved: "Brouillon enregistré à ", errors: " – certaines réponses sont à corriger",
          conflict: "Quelqu'un d'autre a modifié une réponse que vous avez changée : enregistrez la page pour voir les deux valeurs.",
          login: "Votre session a expiré : reconnectez-vous (votre brouillon jusqu'au dernier enregistrement est conservé).",
          failed: "Enregistrement impossible pour l'instant ; nouvel essai bientôt. Votre saisie reste sur la page.",
          yours: "votre heure : ", remove: "Retirer cette ligne", names: "long" }
  };
  // Only English and French are shipped; any other page language reads English.
  var words = table[lang] || table.en;

  // Deadline in the reader's own time zone, beside the campaign's, in the page's style
  // (deadlines.DAY_STYLES): "Fri 4 Dec 2026, 17:00", "vendredi 4 décembre 2026, 17:00".
  var dayStyle = new Intl.DateTimeFormat(document.documentElement.lang || "en", {
    weekday: words.names, day: "numeric", month: words.names, year: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" });
  document.querySelectorAll("time[data-local-time]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) { return; }
    var part = {};
    dayStyle.formatToParts(when).forEach(function (p) { part[p.type] = p.value; });
    var note = document.createElement("span");
    note.className = "text-body-secondary";
    note.textContent = " (" + words.yours + part.weekday + " " + part.day + " " + part.month +
      " " + part.year + ", " + part.hour + ":" + part.minute + " " + part.timeZoneName + ")";
    el.after(note);
  });

  // Countdown from the server's figure, measured with a monotonic clock: the browser's own
  // clock may be wrong and must not matter.
  var started = performance.now();
  function countdown() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Number(el.getAttribute("data-countdown")) - (performance.now() - started) / 1000;
      if (left <= 0) { el.textContent = words.closed; return; }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60);
      el.textContent = (d ? d + " " + words.d + " " : "") + h + " " + words.h + " " + m + " " + words.min + " " + words.left;
    });
  }
  if (document.querySelector("[data-countdown]")) { countdown(); setInterval(countdown, 30000); }

  // File inputs: the page's translated button and file name instead of the browser's
  // "Choose File" (templates/bootstrap5/layout/field_file.html). The native control stays
  // in the page, visually hidden, so that Tab, Space and screen readers still reach it.
  document.querySelectorAll("[data-file-picker]").forEach(function (box) {
    var input = box.querySelector("input[type=file]");
    var ui = box.querySelector(".file-picker-ui");
    var name = box.querySelector("[data-file-name]");
    if (!input || !ui || !name) { return; }
    input.classList.add("visually-hidden");
    ui.hidden = false;
    var button = box.querySelector("[data-file-button]");
    if (input.disabled) { button.classList.add("disabled"); }
    button.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () {
      name.textContent = input.files.length ? input.files[0].name : name.getAttribute("data-none");
    });
  });

  // Focus the error summary (or conflict list) so screen readers announce it.
  var focus = document.querySelector("[data-focus]");
  if (focus) { focus.focus(); }

  // A submit button that can only be pressed once (the server is idempotent anyway).
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });

  // Session expiry (templates/survey/_layout.html): two minutes before the session ends, a
  // dialog offers to stay signed in; a save counts as activity. The server says how long
  // is left; elapsed time is read from Date.now(), which, unlike performance.now(), keeps
  // counting while the computer sleeps (the session's clock does too).
  var sessionActive = function () {};
  var sessionDialog = document.getElementById("session-warning");
  if (sessionDialog && typeof sessionDialog.showModal === "function") {
    sessionActive = watchSession(sessionDialog);
  }

  function watchSession(dialog) {
    var endpoint = dialog.getAttribute("data-session-url");
    var idle = Number(dialog.getAttribute("data-session-idle"));
    // When to ask the server next, and when the absolute end is two minutes away.
    var checkAt = Infinity, limitAt = Infinity, asking = false;

    function show(state) {
      dialog.querySelectorAll("[data-session-state]").forEach(function (part) {
        part.hidden = part.getAttribute("data-session-state") !== state;
      });
      dialog.setAttribute("aria-labelledby", "session-" + state + "-text");
      if (!dialog.open) { dialog.showModal(); }
      dialog.querySelector("[data-session-state='" + state + "'] .btn").focus();
    }
    // What the server said: seconds left, and whether activity can still extend them.
    function heard(code, data) {
      if (code === 401) { checkAt = Infinity; show("ended"); return; }
      if (code !== 200) {
        // The page itself is out of date (a login in another tab): only a reload helps.
        checkAt = Infinity;
        dialog.querySelector("[data-session-message]").textContent = data.message || "";
        show("notice");
        return;
      }
      limitAt = Date.now() + (data.ends_in - 120) * 1000;
      if (data.expires_in > 120) {
        checkAt = Date.now() + (data.expires_in - 120) * 1000;
        if (dialog.open) { dialog.close(); }
        return;
      }
      // Asked again just after the end, when the answer is the 401.
      checkAt = Date.now() + (data.expires_in + 1) * 1000;
      show(data.extendable ? "warn" : "limit");
    }
    function ask(method, body) {
      asking = true;
      return fetch(endpoint, { method: method, body: body, credentials: "same-origin",
                               headers: { "Accept": "application/json" } })
        .then(function (reply) {
          return reply.json().then(function (data) { heard(reply.status, data); });
        })
        .finally(function () { asking = false; });
    }
    // Near the end by this page's reckoning, ask the server before warning: another tab
    // may have kept the session alive. Asking does not count as activity.
    function check() {
      if (!asking && Date.now() >= checkAt) { ask("GET").catch(function () {}); }
    }
    var offline = dialog.querySelector("[data-session-offline]");
    dialog.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      offline.hidden = true;
      ask("POST", new FormData(event.target)).catch(function () { offline.hidden = false; });
    });
    dialog.querySelectorAll("[data-session-close]").forEach(function (button) {
      button.addEventListener("click", function () { dialog.close(); });
    });
    heard(200, { expires_in: Number(dialog.getAttribute("data-session-expires-in")),
                 ends_in: Number(dialog.getAttribute("data-session-ends-in")),
                 extendable: dialog.hasAttribute("data-session-extendable") });
    setInterval(check, 5000);
    document.addEventListener("visibilitychange", check);
    // A save moved the idle expiry on (unless the previous move was under a minute ago),
    // never past the absolute end; with the dialog open, the server is asked at once
    // whether it still applies.
    return function () {
      var idleWarning = Date.now() + Math.max(0, idle - 60 - 120) * 1000;
      checkAt = dialog.open ? Date.now() : Math.min(idleWarning, limitAt);
    };
  }

  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }

  // Show-if rules, mirrored from the server.
  var context = {};
  var contextEl = document.getElementById("survey-context");
  if (contextEl) { context = JSON.parse(contextEl.textContent); }

  function valueOf(id) {
    var inputs = form.querySelectorAll("[name='" + id + "']");
    if (!inputs.length) { return context[id]; }
    var first = inputs[0];
    if (first.type === "radio") {
      var checked = form.querySelector("[name='" + id + "']:checked");
      return checked && !checked.disabled ? checked.value : null;
    }
    if (first.type === "checkbox") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked && !i.disabled; })
        .map(function (i) { return i.value; });
    }
    return first.disabled ? null : first.value;
  }

  function holds(rule) {
    if (rule.op === "any") { return rule.children.some(holds); }
    if (rule.op === "all") { return rule.children.every(holds); }
    var value = valueOf(rule.question);
    if (rule.op === "includes") { return Array.isArray(value) && value.indexOf(rule.values[0]) >= 0; }
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) { return false; }
    var found = rule.values.indexOf(value) >= 0;
    return rule.op === "equals" || rule.op === "in" ? found : !found;
  }

  var conditional = form.querySelectorAll("[data-show-if]");
  function applyRules() {
    conditional.forEach(function (block) {
      var show = holds(JSON.parse(block.getAttribute("data-show-if")));
      block.hidden = !show;
      block.querySelectorAll("input, select, textarea").forEach(function (input) {
        if (!input.hasAttribute("data-locked")) { input.disabled = !show; }
      });
    });
  }
  form.querySelectorAll("input:disabled, select:disabled, textarea:disabled").forEach(function (i) {
    i.setAttribute("data-locked", "");
  });
  // The sections the navigator offers follow the answers as they are typed (C, D and E
  // appear once B says so), with the same rules as the server's.
  var sections = document.querySelectorAll("[data-section-show-if]");
  function applySections() {
    sections.forEach(function (item) {
      var show = holds(JSON.parse(item.getAttribute("data-section-show-if")));
      item.querySelectorAll("[data-when]").forEach(function (part) {
        part.hidden = (part.getAttribute("data-when") === "shown") !== show;
      });
    });
  }

  // "Unknown / not yet assessed" empties its number box and makes it read-only.
  var unknowns = form.querySelectorAll("[data-unknown-for]");
  function applyUnknowns() {
    unknowns.forEach(function (box) {
      var number = document.getElementById(box.getAttribute("data-unknown-for"));
      if (!number) { return; }
      if (box.checked) { number.value = ""; }
      number.readOnly = box.checked;
    });
  }
  // Row lists (A6): one empty row shows at a time, "Add a row" reveals the next in place
  // (with none left it submits, and the saved page brings more), "Remove" clears one.
  form.querySelectorAll("[data-add-row]").forEach(function (button) {
    var id = button.getAttribute("data-add-row");
    var rows = Array.prototype.slice.call(form.querySelectorAll("[data-row='" + id + "']"));
    function empty(row) {
      return Array.prototype.every.call(row.querySelectorAll("input"), function (i) { return !i.value; });
    }
    var emptyShown = false;
    rows.forEach(function (row) {
      if (empty(row)) { row.hidden = emptyShown; emptyShown = true; }
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-sm btn-link";
      remove.textContent = words.remove;
      remove.addEventListener("click", function () {
        row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
        row.hidden = true;
        form.dispatchEvent(new Event("input", { bubbles: true }));
        button.focus();
      });
      row.appendChild(remove);
    });
    button.addEventListener("click", function (event) {
      var next = rows.filter(function (r) { return r.hidden; })[0];
      if (!next) { return; }
      event.preventDefault();
      next.hidden = false;
      var first = next.querySelector("input");
      if (first) { first.focus(); }
    });
  });

  applyRules();
  applySections();
  applyUnknowns();
  form.addEventListener("change", function () { applyRules(); applySections(); applyUnknowns(); });

  // Autosave: at most 15 s of typing is at risk while the page is open, none on leaving.
  var status = form.querySelector("[data-autosave-status]");
  var url = form.getAttribute("data-autosave");
  var dirty = false, busy = false;
  function say(text) { if (status) { status.textContent = text; } }
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });

  // Files go with an explicit save only: resending them every few seconds would be waste.
  function draft() {
    var data = new FormData(form);
    form.querySelectorAll("input[type=file]").forEach(function (input) { data.delete(input.name); });
    return data;
  }

  function save() {
    if (!dirty || busy) { return; }
    busy = true; dirty = false;
    fetch(url, { method: "POST", body: draft(), credentials: "same-origin",
                 headers: { "Accept": "application/json" } })
      .then(function (reply) {
        return reply.json().then(function (data) { return { code: reply.status, data: data }; });
      })
      .then(function (result) {
        var data = result.data;
        if (result.code === 200) {
          sessionActive();
          form.querySelector("[name=version]").value = data.version;
          form.querySelector("[name=loaded]").value = JSON.stringify(data.loaded);
          if (data.status === "conflict") { say(words.conflict); return; }
          say(words.saved + data.saved_at + (data.status === "invalid" ? words.errors : ""));
        } else if (result.code === 401) {
          dirty = true;
          say(words.login);
        } else {
          say(data.message || words.failed);
        }
      })
      .catch(function () { dirty = true; say(words.failed); })
      .finally(function () { busy = false; });
  }
  setInterval(save, 15000);
  window.addEventListener("pagehide", function () {
    if (dirty && navigator.sendBeacon) { navigator.sendBeacon(url, draft()); }
  });
})();
