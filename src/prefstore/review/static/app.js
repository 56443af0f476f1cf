// prefstore review: keys and requests. Hand-written, no build step, no dependencies.
// Every write is a POST carrying the launch token in a header (X-Prefstore-Token).
(function () {
  "use strict";
  var token = document.querySelector('meta[name="prefstore-token"]').content;
  var page = document.body.dataset.page;

  function flash(text, error) {
    var box = document.getElementById("flash");
    box.textContent = text;
    box.className = error ? "error" : "";
    box.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(function () { box.hidden = true; }, error ? 6000 : 2500);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-Prefstore-Token": token},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {error: response.statusText}; }).then(function (data) {
        if (!response.ok || data.error) { throw new Error(data.error || response.statusText); }
        return data;
      });
    });
  }

  function reloadKeeping(message) {
    if (message) { sessionStorage.setItem("prefstore-flash", message); }
    location.reload();
  }

  var kept = sessionStorage.getItem("prefstore-flash");
  if (kept) { sessionStorage.removeItem("prefstore-flash"); flash(kept); }

  function pairOf(el) { return el.dataset.pair.split("-").map(Number); }

  // the step name the page shows (null: the default); every write names it, or the server would decide
  // on (and switch its cache to) the default step
  var step = new URLSearchParams(location.search).get("step");

  function act(action, pair) {
    if (!pair) { return; }
    var body = {action: action, pairs: [pair], step: step};
    if (action === "undo") {
      post("/api/undo", {pair: pair, step: step}).then(function (d) { reloadKeeping(d.message); }, function (e) { flash(e.message, true); });
      return;
    }
    if (action === "note") {
      var text = prompt("Note on this pair:");
      if (!text) { return; }
      body.note = text;
    }
    post("/api/decide", body).then(function (d) { reloadKeeping(d.message); }, function (e) { flash(e.message, true); });
  }

  // help overlay
  var help = document.getElementById("help");
  function toggleHelp(show) { help.hidden = show === undefined ? !help.hidden : !show; }
  document.querySelectorAll("[data-help]").forEach(function (b) { b.addEventListener("click", function () { toggleHelp(); }); });
  help.addEventListener("click", function (e) { if (e.target === help) { toggleHelp(false); } });

  // the list: a selected row, moved by j/k
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.pair"));
  var selected = -1;
  function select(i) {
    if (!rows.length) { return; }
    i = Math.max(0, Math.min(rows.length - 1, i));
    if (selected >= 0 && rows[selected]) { rows[selected].classList.remove("selected"); }
    selected = i;
    rows[i].classList.add("selected");
    rows[i].scrollIntoView({block: "nearest"});
    sessionStorage.setItem("prefstore-row:" + location.search, String(i));
  }
  if (page === "pairs" && rows.length) {
    var saved = Number(sessionStorage.getItem("prefstore-row:" + location.search) || "0");
    select(isNaN(saved) ? 0 : saved);
    rows.forEach(function (row, i) {
      row.addEventListener("click", function (e) {
        if (e.target.tagName === "A") { return; }
        if (selected === i) { location.href = row.dataset.href; } else { select(i); }
      });
    });
  }
  function pagerLink(rel) { var a = document.querySelector('.pager a[rel="' + rel + '"]'); return a && a.href; }

  // bulk actions on the whole filter result: count first, confirm, then one decision
  document.querySelectorAll("[data-bulk]").forEach(function (button) {
    button.addEventListener("click", function () {
      var action = button.dataset.bulk;
      var filter = Object.fromEntries(new URLSearchParams(location.search));
      fetch("/api/selection?" + new URLSearchParams(Object.assign({}, filter, {action: action})), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (sel) {
          if (sel.error) { throw new Error(sel.error); }
          if (!sel.pairs) { flash("no pair of the filter result would change"); return; }
          var note = null;
          if (action === "note") {
            note = prompt("Note on all " + sel.pairs.toLocaleString() + " pairs of the filter result:");
            if (!note) { return; }
          } else if (!confirm(action[0].toUpperCase() + action.slice(1) + " " + sel.pairs.toLocaleString() +
                               " pairs (the whole filter result)? One decision; one undo reverts it.")) {
            return;
          }
          return post("/api/decide", {action: action, filter: filter, expect: sel.pairs, note: note})
            .then(function (d) { reloadKeeping(d.message); });
        })
        .catch(function (e) { flash(e.message, true); });
    });
  });

  // pair page buttons
  var head = document.querySelector(".pairhead");
  document.querySelectorAll("[data-act]").forEach(function (b) {
    b.addEventListener("click", function () { act(b.dataset.act, head && pairOf(head)); });
  });
  document.querySelectorAll("[data-undo]").forEach(function (b) {
    b.addEventListener("click", function () {
      post("/api/undo", {decision_id: Number(b.dataset.undo), step: step}).then(function (d) { reloadKeeping(d.message); },
                                                                 function (e) { flash(e.message, true); });
    });
  });

  // lint on the overview: fetched after the page, as it can take a while on a big store
  var lint = document.getElementById("lint");
  if (lint && lint.dataset.fresh !== "yes") {
    // only a 200 is the server's rendered summary; an error is JSON that may quote stored names: text only
    var lintFailed = function (message) {
      lint.textContent = "lint: " + message;
      flash("lint: " + message, true);
    };
    var poll = function () {
      fetch(lint.dataset.lintUrl, {credentials: "same-origin"})
        .then(function (r) {
          if (!r.ok) {
            return r.json().catch(function () { return {}; })
              .then(function (data) { lintFailed(data.error || r.statusText); });
          }
          return r.text().then(function (html) {
            lint.innerHTML = html;
            if (r.headers.get("X-Lint-Fresh") !== "yes") { setTimeout(poll, 1000); } else { lint.dataset.fresh = "yes"; }
          });
        })
        .catch(function (e) { lintFailed(e.message); });
    };
    poll();
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") { return; }
    var key = e.key;
    if (key === "?") { toggleHelp(); e.preventDefault(); return; }
    if (key === "Escape") { toggleHelp(false); return; }
    if (page === "pairs") {
      var current = rows[selected];
      if (key === "j") { if (selected >= rows.length - 1 && pagerLink("next")) { sessionStorage.setItem("prefstore-row:" + new URL(pagerLink("next")).search, "0"); location.href = pagerLink("next"); } else { select(selected + 1); } }
      else if (key === "k") { if (selected <= 0 && pagerLink("prev")) { sessionStorage.setItem("prefstore-row:" + new URL(pagerLink("prev")).search, "49"); location.href = pagerLink("prev"); } else { select(selected - 1); } }
      else if (key === "Enter" || key === "o") { if (current) { location.href = current.dataset.href; } }
      else if (key === "x" || key === "f" || key === "n" || key === "u") {
        if (current) { act({x: "exclude", f: "flip", n: "note", u: "undo"}[key], pairOf(current)); }
      } else { return; }
      e.preventDefault();
    } else if (page === "pair" && head) {
      if (key === "j" && head.dataset.next) { location.href = head.dataset.next; }
      else if (key === "k" && head.dataset.prev) { location.href = head.dataset.prev; }
      else if (key === "x" || key === "f" || key === "n" || key === "u") { act({x: "exclude", f: "flip", n: "note", u: "undo"}[key], pairOf(head)); }
      else { return; }
      e.preventDefault();
    }
  });
})();
