"use strict";
// The review app: one message at a time from the queue, labelled with one key. Every request goes
// to this server only; the access token travels in a same-site cookie set when the page loaded.
(function () {
  const $ = (sel) => document.querySelector(sel);
  const state = { current: null, busy: false };
  if (location.search.includes("token=")) history.replaceState(null, "", location.pathname);

  function fill(node, children) {  // nested arrays flattened, null and false left out
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    return fill(node, children);
  }

  async function api(path, body) {
    const opts = body === undefined ? {} : {method: "POST", headers: {"content-type": "application/json"},
                                            body: JSON.stringify(body)};
    const res = await fetch(path, Object.assign({credentials: "same-origin"}, opts));
    const data = await res.json();
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  function toast(text) {
    const t = $("#toast");
    t.textContent = text; t.classList.add("show");
    clearTimeout(toast.timer); toast.timer = setTimeout(() => t.classList.remove("show"), 1800);
  }

  function segments(parts) {
    return parts.map((p) => p.mark ? el("mark", {"data-kind": p.mark, title: p.mark}, p.text) : p.text);
  }

  function related(title, items) {
    if (!items.length) return null;
    return el("div", {class: "meta"}, title, el("ul", {class: "related"}, items.map((r) => el("li", {},
      el("a", {onclick: () => open(r.id), "data-id": r.id}, r.subject || "(no subject)"), " ",
      el("span", {class: "meta"}, [r.sender, r.date].filter(Boolean).join(", ")),
      r.label ? el("span", {class: "meta"}, ` [${r.label}]`) : null))));
  }

  function render(m, kind) {
    const box = $("#message");
    box.replaceChildren();
    state.current = m;
    if (!m) {
      box.append(el("p", {class: "meta", id: "done"}, "Nothing left unread in the queue. Search to revisit a message."));
      return;
    }
    const cite = [m.source, m.page ? `p. ${m.page}` : null, m.bates].filter(Boolean).join(" \u00b7 ");
    const standing = m.label || (m.inherited ? `${m.inherited} (from its canonical copy)` : null);
    fill(box, [
      el("div", {class: "badges"},
        el("span", {class: kind === "random" ? "random" : ""}, kind === "random" ? "random draw (keeps the estimate honest)"
          : kind === "ranked" ? "highest score unread" : "opened"),
        m.score === null ? el("span", {}, "not scored") : el("span", {class: m.flagged ? "flagged" : ""},
          `score ${m.score.toFixed(3)}${m.flagged ? " \u00b7 flagged" : ""} \u00b7 model v${m.version}`),
        standing ? el("span", {class: "lab-" + (m.label || m.inherited), id: "standing"}, "labelled " + standing) : null),
      el("h2", {class: "subject", id: "subject", "data-id": m.id}, m.subject || "(no subject)"),
      el("table", {class: "head"}, [["From", m.from], ["To", m.to], ["Cc", m.cc], ["Date", m.date],
        ["Cite", cite], ["Attachments", (m.attachments || []).join(", ")], ["Id", m.id]]
        .filter(([, v]) => v).map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v)))),
      m.duplicate_of ? el("p", {class: "meta"}, "A duplicate of ",
        el("a", {onclick: () => open(m.duplicate_of)}, m.duplicate_of), ": it takes that copy's label.") : null,
      m.evidence.length ? el("div", {}, el("h2", {}, "Evidence"), el("ul", {class: "evidence"},
        m.evidence.map((e) => el("li", {}, el("mark", {"data-kind": e.label}, e.label), " ", e.text,
          e.where === "quote" ? el("span", {class: "meta"}, " (in quoted history)") : null)))) : null,
      el("div", {class: "text", id: "body"}, segments(m.body)),
      m.quoted.length ? el("details", {class: "quoted", open: m.quoted.some((p) => p.mark)},
        el("summary", {}, "Quoted history"), el("div", {class: "text"}, segments(m.quoted))) : null,
      related("Same thread", m.thread), related("Other copies", m.copies),
      m.history.length ? el("div", {class: "meta"}, "Label history: ", m.history.map((h) =>
        `${h.label} by ${h.reviewer}${h.note ? ` (${h.note})` : ""}`).join("; ")) : null,
      el("div", {class: "actions"},
        el("button", {class: "pos", id: "b-positive", onclick: () => label("positive")}, "Positive (y)"),
        el("button", {class: "neg", id: "b-negative", onclick: () => label("negative")}, "Negative (n)"),
        el("button", {id: "b-unsure", onclick: () => label("unsure")}, "Unsure (u)"),
        el("button", {id: "b-undo", onclick: undo}, "Undo (z)"),
        el("input", {id: "note", type: "text", placeholder: "Note (t), saved with the label", "aria-label": "Note"}))]);
    box.scrollTop = 0;
  }

  async function next() {
    const data = await api("/api/next", {});
    render(data.message, data.message && data.message.kind);
  }

  async function open(id) {
    const data = await api("/api/message/" + encodeURIComponent(id));
    render(data.message, "opened");
  }

  async function label(kind) {
    const m = state.current;
    if (!m || state.busy) return;
    state.busy = true;
    try {
      const note = $("#note") ? $("#note").value.trim() : "";
      const res = await api("/api/label", {id: m.id, label: kind, note: note || null});
      toast(`${m.id}: ${kind}` + (res.retraining ? " \u00b7 retraining in the background" : ""));
      await next();
      progress();
    } catch (e) { toast("Not saved: " + e.message); } finally { state.busy = false; }
  }

  async function undo() {
    if (state.busy) return;
    state.busy = true;
    try {
      const res = await api("/api/undo", {});
      if (!res.undone) toast("Nothing of yours to undo");
      else { toast(`undid the label of ${res.undone}`); render(res.message, "opened"); }
      progress();
    } catch (e) { toast("Undo failed: " + e.message); } finally { state.busy = false; }
  }

  const pct = (x) => x === null || x === undefined ? "\u2013" : (100 * x).toFixed(1) + "%";

  async function progress() {
    let p;
    try { p = await api("/api/progress"); } catch (e) { return; }
    const box = $("#progress");
    const rem = p.remaining ? `${p.remaining[0].toFixed(0)} (at most ${p.remaining[1].toFixed(0)}, 95% bound)` : "\u2013";
    const rows = [["Labelled", `${p.labelled} of ${p.messages - p.errors}`], ["Positives found", p.positives],
      ["Unread", p.unread], ["Positives remaining", rem],
      ["Estimated recall", `${pct(p.recall)} (at least ${pct(p.recall_low)})`],
      ["Random draws judged", p.random_draws], ["Model", `version ${p.version} of ${p.versions}`]];
    if (p.check) rows.push(["Model check", `v${p.check.version} on ${p.check.labels} later labels: ` +
      `${p.check.tp} found, ${p.check.fn} missed, ${p.check.fp} false alarms`]);
    if (p.retrain) rows.push(["Retraining", p.retrain.running ? "running\u2026" : p.retrain.error ? "failed: " + p.retrain.error
      : (p.retrain.every ? `every ${p.retrain.every} labels` : "on demand (r)") + (p.retrain.log.length ? "; " + p.retrain.log[p.retrain.log.length - 1] : "")]);
    const share = p.messages ? p.labelled / Math.max(1, p.messages - p.errors) : 0;
    box.replaceChildren();
    fill(box, [el("h2", {}, "Progress"), el("div", {class: "bar"}, el("div", {style: null})),
      el("dl", {id: "stats"}, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {"data-k": k}, v)])),
      p.rules.map((r) => el("p", {class: "rule", "data-rule": r.rule}, el("b", {class: r.stop ? "stop" : "go"},
        `${r.rule} rule: ${r.stop ? "stop" : "keep reading"}`), " \u2013 ", r.reason))]);
    box.querySelector(".bar > div").style.width = (100 * share).toFixed(1) + "%";
    box.dataset.version = p.version;
    box.dataset.running = p.retrain && p.retrain.running ? "1" : "0";
  }

  async function search(ev) {
    if (ev) ev.preventDefault();
    const params = new URLSearchParams({q: $("#q").value, label: $("#f-label").value, flagged: $("#f-flag").value});
    const data = await api("/api/search?" + params);
    const box = $("#results");
    box.hidden = false;
    box.querySelector("ol").replaceChildren();
    fill(box.querySelector("ol"), (data.results.length ? data.results.map((r) => el("li", {},
      el("a", {onclick: () => open(r.id), "data-id": r.id}, r.subject || "(no subject)"), " ",
      el("span", {class: "meta"}, [r.sender, r.score === null ? null : r.score.toFixed(3), r.label].filter(Boolean).join(" \u00b7 "))))
      : [el("li", {class: "meta"}, "No message matches.")]));
  }

  async function retrain() {
    try { const r = await api("/api/retrain", {}); toast(r.started ? "Retraining in the background" : "Already retraining"); }
    catch (e) { toast(e.message); }
    progress();
  }

  document.addEventListener("keydown", (ev) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (ev.key === "Escape") { document.activeElement.blur(); if (typing) return; next(); return; }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const keys = {y: () => label("positive"), p: () => label("positive"), n: () => label("negative"),
      u: () => label("unsure"), z: undo, r: retrain, t: () => $("#note") && $("#note").focus(), "/": () => $("#q").focus()};
    const fn = keys[ev.key];
    if (fn) { ev.preventDefault(); fn(); }
  });
  $("#search").addEventListener("submit", search);
  $("#retrain").addEventListener("click", retrain);
  next().catch((e) => { $("#message").textContent = "Could not load: " + e.message; });
  progress();
  setInterval(progress, 4000);
})();
