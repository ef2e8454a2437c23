/* influence review page: table filtering and the detail pane. No network, no libraries. */
(function () {
  "use strict";
  var PAGE = 500;
  var PHRASES = ["EXCHANGE", "THRESHOLD", "GIFT", "PROMOTION", "CODE", "MONEY"];
  var ENTITIES = ["VENDOR", "PRODUCT", "AGENCY", "DATE"];
  var $ = function (sel) { return document.querySelector(sel); };
  var table = JSON.parse(document.getElementById("table").textContent);
  var C = {};
  table.columns.forEach(function (name, k) { C[name] = k; });
  var rows = table.rows; // ranked by score, highest first
  var rank = {};
  rows.forEach(function (r, k) { rank[r[C.i]] = k + 1; });
  var shown = rows, limit = PAGE, selected = null, sortKey = "rank", sortDir = 1, ready = false;
  var tbody = $("#rows tbody"), more = $("#more"), detail = $("#detail");

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fmt(v) { return v == null ? "" : Number(v).toFixed(3); }
  function base(path) { return String(path || "").split(/[\\/]/).pop(); }
  function hay(r) {
    if (r.hay === undefined) {
      r.hay = [r[C.id], r[C.from], r[C.to], r[C.subject], r[C.bates], r[C.source], (r[C.vendors] || []).join(" ")]
        .join(" ").toLowerCase();
    }
    return r.hay;
  }

  function applyFilters() {
    var flag = $("#f-flag").value, vendor = $("#f-vendor").value;
    var min = parseFloat($("#f-score").value) || 0, q = $("#f-text").value.trim().toLowerCase();
    shown = rows.filter(function (r) {
      if (flag === "flagged" && !r[C.flag]) return false;
      if (flag === "unflagged" && (r[C.flag] || r[C.error])) return false;
      if (flag === "error" && !r[C.error]) return false;
      if (vendor && (r[C.vendors] || []).indexOf(vendor) < 0) return false;
      if (min > 0 && !(r[C.score] >= min)) return false;
      if (q && hay(r).indexOf(q) < 0) return false;
      return true;
    });
    sortRows();
    limit = PAGE;
    render();
  }

  function sortRows() {
    if (sortKey === "rank" || sortKey === "score") {
      shown.sort(function (a, b) { return sortDir * (rank[a[C.i]] - rank[b[C.i]]); });
      return;
    }
    var k = C[sortKey];
    shown.sort(function (a, b) {
      var x = String(a[k] || ""), y = String(b[k] || "");
      return sortDir * (x < y ? -1 : x > y ? 1 : rank[a[C.i]] - rank[b[C.i]]);
    });
  }

  function rowHtml(r) {
    var i = r[C.i], score = r[C.score], cls = [];
    if (r[C.flag]) cls.push("flagged");
    if (r[C.error]) cls.push("error");
    if (i === selected) cls.push("selected");
    var chips = (r[C.labels] || []).filter(function (l) { return PHRASES.indexOf(l) < 4; }).map(function (l) {
      return '<mark class="chip hl" data-kind="' + l + '" title="' + l.toLowerCase() + ' evidence">' + l[0] + "</mark>";
    }).join("");
    var where = base(r[C.source]) + (r[C.page] != null ? " p." + r[C.page] : "");
    return '<tr data-i="' + i + '" class="' + cls.join(" ") + '">' +
      '<td class="num">' + rank[i] + "</td>" +
      '<td class="num">' + (score == null ? "" : '<span class="bar"><i style="width:' + Math.round(score * 100) +
        '%"></i></span>' + fmt(score)) + "</td>" +
      "<td>" + (r[C.flag] ? '<span class="flag" title="flagged">&#9679;</span>' : "") + "</td>" +
      "<td>" + esc(r[C.date]) + "</td>" +
      '<td title="' + esc(r[C.from]) + '">' + esc(r[C.from]) + "</td>" +
      '<td title="' + esc(r[C.to]) + '">' + esc(r[C.to]) + "</td>" +
      (r[C.error] ? '<td class="error" title="' + esc(r[C.error]) + '">' + esc(r[C.error]) + "</td>"
        : '<td title="' + esc(r[C.subject]) + '">' + chips + esc(r[C.subject]) + "</td>") +
      "<td>" + esc((r[C.vendors] || []).join(", ")) + "</td>" +
      '<td title="' + esc(r[C.source]) + '">' + esc(where) + "</td>" +
      "<td>" + esc(r[C.bates]) + "</td></tr>";
  }

  function render() {
    tbody.innerHTML = shown.slice(0, limit).map(rowHtml).join("");
    var rest = shown.length - limit;
    more.innerHTML = rest > 0 ? '<button type="button">Show ' + Math.min(rest, PAGE) + " more (" + rest +
      " not shown)</button>" : (shown.length ? "" : "No message matches these filters.");
    $("#count").textContent = shown.length + " of " + rows.length + " messages";
  }

  function showMore() { limit += PAGE; render(); }

  function highlight(d, a, b) {
    var text = d.text, spans = (d.spans || []).filter(function (s) { return s[1] < b && s[2] > a; });
    var cuts = [a, b];
    spans.forEach(function (s) { cuts.push(Math.max(a, s[1]), Math.min(b, s[2])); });
    cuts = cuts.filter(function (x, k) { return cuts.indexOf(x) === k; }).sort(function (x, y) { return x - y; });
    var out = "";
    for (var k = 0; k + 1 < cuts.length; k++) {
      var x = cuts[k], y = cuts[k + 1], piece = esc(text.slice(x, y)), labels = [];
      spans.forEach(function (s) {
        if (s[1] <= x && s[2] >= y && labels.indexOf(s[0]) < 0) labels.push(s[0]);
      });
      if (!labels.length) { out += piece; continue; }
      var kind = PHRASES.filter(function (l) { return labels.indexOf(l) >= 0; })[0] || "";
      var ents = labels.filter(function (l) { return ENTITIES.indexOf(l) >= 0; });
      var cls = "hl" + (ents.length ? " ent " + ents.join(" ") : "") + (labels.length > 1 ? " multi" : "");
      out += '<mark class="' + cls + '" data-kind="' + kind + '" data-labels="' + labels.join(" ") +
        '" title="' + labels.join(", ") + '">' + piece + "</mark>";
    }
    return out;
  }

  function field(name, value) {
    return value == null || value === "" ? "" : "<dt>" + name + "</dt><dd>" + esc(value) + "</dd>";
  }

  function evidenceList(d, where) {
    var items = (d.spans || []).filter(function (s) {
      return PHRASES.indexOf(s[0]) >= 0 && where.indexOf(s[3]) >= 0;
    });
    if (!items.length) return '<p class="note">none</p>';
    return '<ul class="evidence">' + items.map(function (s) {
      return '<li><mark class="hl" data-kind="' + s[0] + '">' + s[0] + "</mark> " + esc(d.text.slice(s[1], s[2])) +
        ' <span class="note">(' + s[3] + ")</span></li>";
    }).join("") + "</ul>";
  }

  function features(list, cls) {
    if (!list || !list.length) return '<tr><td class="note" colspan="3">none</td></tr>';
    var top = Math.max.apply(null, list.map(function (f) { return Math.abs(f[3]); })) || 1;
    return list.map(function (f) {
      return '<tr class="' + cls + '" title="value ' + f[1] + " &times; weight " + f[2] + '"><td class="feat">' +
        esc(f[0]) + '</td><td class="num">' +
        (f[3] > 0 ? "+" : "") + f[3].toFixed(3) + '</td><td><span class="fbar" style="width:' +
        Math.max(2, Math.round(80 * Math.abs(f[3]) / top)) + 'px"></span></td></tr>';
    }).join("");
  }

  function legend() {
    return '<div class="legend">' + PHRASES.map(function (l) {
      return '<mark class="hl" data-kind="' + l + '">' + l.toLowerCase() + "</mark>";
    }).join("") + ENTITIES.map(function (l) {
      return '<mark class="hl ent ' + l + '">' + l.toLowerCase() + "</mark>";
    }).join("") + "</div>";
  }

  function renderDetail(i) {
    var el = document.getElementById("d" + i);
    if (!el) { detail.innerHTML = '<p class="hint">Still loading this message…</p>'; return; }
    var d = JSON.parse(el.textContent);
    var qs = d.quote_start == null ? d.text.length : Math.min(d.quote_start, d.text.length);
    var html = "<h2>" + esc(d.subject || "(no subject)") + "</h2>";
    if (d.error) html += '<p class="error">Could not be read: ' + esc(d.error) + "</p>";
    if (d.score != null) {
      html += '<div class="scores"><div><b class="' + (d.flagged ? "flag" : "") + '">' + fmt(d.score) +
        "</b>promotion for gifts" + (d.flagged ? " &middot; flagged" : "") + "</div>" +
        (d.gift_offer != null ? "<div><b>" + fmt(d.gift_offer) + "</b>gift offer</div>" : "") +
        (d.promotion_request != null ? "<div><b>" + fmt(d.promotion_request) + "</b>promotion request</div>" : "") +
        "</div>";
    }
    html += '<dl class="fields">' + field("From", d.from) + field("To", d.to) + field("Cc", d.cc) +
      field("Date", d.date) + field("Vendors", (d.vendors || []).join(", ")) + field("Source", d.source) +
      field("Page", d.page) + field("Line", d.line) + field("Bates", d.bates) + field("Id", d.id) +
      field("Message-ID", d.message_id) + field("Thread", d.thread_id) + field("Duplicate of", d.duplicate_of) +
      field("Attachments", (d.attachments || []).join(", ")) + "</dl>";
    if (d.spans) html += legend();
    html += "<h3>Author's text</h3><pre class=\"text author\">" + highlight(d, 0, qs) + "</pre>";
    if (qs < d.text.length) {
      html += "<h3>Quoted history (not the author's words)</h3><pre class=\"text quote\">" +
        highlight(d, qs, d.text.length) + "</pre>";
    }
    if (d.cut) html += '<p class="note">' + d.cut + " more characters are not shown; see the source file.</p>";
    if (d.spans) {
      html += "<h3>Evidence in the author's words</h3>" + evidenceList(d, ["subject", "body"]);
      html += "<h3>Evidence only in quoted text</h3>" + evidenceList(d, ["quote"]);
    }
    if (d.up || d.down) {
      html += "<h3>Features that pushed the score up</h3><table class=\"features\">" + features(d.up, "up") +
        "</table><h3>Features that pushed it down</h3><table class=\"features\">" + features(d.down, "down") +
        "</table><p class=\"note\">Contribution = the feature's value in its own units (TF-IDF weight, rule value) " +
        "&times; the logistic regression's coefficient per unit, in log-odds before calibration, mean over " +
        "the calibrated ensemble. Intercept " + fmt(d.intercept) +
        ", total " + fmt(d.decision) + ".</p>";
    }
    detail.innerHTML = html;
    detail.scrollTop = 0;
  }

  function select(i, scroll) {
    selected = i;
    var old = tbody.querySelector("tr.selected");
    if (old) old.classList.remove("selected");
    var tr = tbody.querySelector('tr[data-i="' + i + '"]');
    if (tr) {
      tr.classList.add("selected");
      if (scroll) tr.scrollIntoView({ block: "nearest" });
    }
    renderDetail(i);
    if (ready && history.replaceState) history.replaceState(null, "", "#m" + i);
  }

  function move(step) {
    var pos = -1;
    for (var k = 0; k < shown.length; k++) if (shown[k][C.i] === selected) { pos = k; break; }
    var next = Math.max(0, Math.min(shown.length - 1, pos + step));
    if (!shown.length) return;
    if (next >= limit) showMore();
    select(shown[next][C.i], true);
  }

  tbody.addEventListener("click", function (e) {
    var tr = e.target.closest("tr[data-i]");
    if (tr) select(Number(tr.getAttribute("data-i")), false);
  });
  more.addEventListener("click", function (e) { if (e.target.closest("button")) showMore(); });
  ["#f-flag", "#f-vendor", "#f-score", "#f-text"].forEach(function (sel) {
    $(sel).addEventListener("input", applyFilters);
  });
  document.querySelectorAll("#rows th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-sort");
      sortDir = key === sortKey ? -sortDir : 1;
      sortKey = key;
      document.querySelectorAll("#rows th").forEach(function (h) { h.classList.toggle("sorted", h === th); });
      sortRows();
      render();
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.target.matches && e.target.matches("input, select")) return;
    if (e.key === "j" || e.key === "ArrowDown") { move(1); e.preventDefault(); }
    else if (e.key === "k" || e.key === "ArrowUp") { move(-1); e.preventDefault(); }
    else if (e.key === "/") { $("#f-text").focus(); e.preventDefault(); }
  });

  render();

  window.reviewReady = function () {
    var m = /^#m(\d+)$/.exec(location.hash);
    var first = m && rank[Number(m[1])] ? Number(m[1]) : (shown.length ? shown[0][C.i] : null);
    if (first != null) select(first, true);
    ready = true;
    document.body.setAttribute("data-ready", "1");
  };
})();
