/**
 * The live page, part of the binary: HTML, CSS and JS as strings (no CDN, no build step). The script
 * builds every element with createElement/textContent, never innerHTML: host names, services and metric
 * values come from the network and are hostile.
 */

/** `/`: the page. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>disco fleet</title>
<link rel="stylesheet" href="page.css">
<script src="page.js" defer></script>
</head>
<body>
<header>
<h1>disco fleet</h1>
<p id="summary">connecting…</p>
<p id="conn" class="conn-wait">connecting</p>
</header>
<main id="hosts"></main>
<footer><a href="api/hosts">hosts</a> · <a href="api/status">status</a> · <a href="api/metrics">metrics</a> · <a href="metrics">/metrics</a> · <a href="sd">/sd</a></footer>
</body>
</html>
`;

/** `/page.css` */
export const PAGE_CSS = `:root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --line: #8884; }
* { box-sizing: border-box; }
body { font: 15px/1.4 system-ui, sans-serif; margin: 0; padding: 0 0.75rem 2rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 1rem; }
h1 { font-size: 1.3rem; margin: 0.75rem 0 0.25rem; }
header p { margin: 0.25rem 0; }
#conn { margin-left: auto; font-size: 0.85rem; }
.conn-ok { color: var(--ok); } .conn-wait { color: var(--warn); } .conn-bad { color: var(--bad); }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 22rem), 1fr)); gap: 0.75rem; }
.host { border: 1px solid var(--line); border-left: 6px solid var(--ok); border-radius: 6px; padding: 0.5rem 0.75rem; overflow-wrap: anywhere; }
.host[data-state="suspect"] { border-left-color: var(--warn); }
.host[data-state="failed"] { border-left-color: var(--bad); opacity: 0.75; }
.host h2 { font-size: 1.1rem; margin: 0; display: flex; gap: 0.5rem; align-items: baseline; flex-wrap: wrap; }
.badge { font-size: 0.75rem; font-weight: normal; padding: 0 0.4rem; border-radius: 4px; color: #fff; background: var(--ok); }
.badge.suspect { background: var(--warn); } .badge.failed { background: var(--bad); }
.me { font-size: 0.75rem; font-weight: normal; }
.meta { font-size: 0.85rem; margin: 0.2rem 0; }
h3 { font-size: 0.85rem; margin: 0.5rem 0 0.1rem; text-transform: uppercase; letter-spacing: 0.04em; opacity: 0.8; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
td { border-top: 1px solid var(--line); padding: 0.1rem 0.25rem; vertical-align: top; }
td:last-child { text-align: right; font-variant-numeric: tabular-nums; }
button { font: inherit; font-size: 0.8rem; padding: 0 0.5rem; }
details summary { font-size: 0.85rem; margin: 0.5rem 0 0.1rem; text-transform: uppercase; letter-spacing: 0.04em; opacity: 0.8; cursor: pointer; }
footer { margin-top: 1.5rem; font-size: 0.85rem; }
`;

/** `/page.js` */
export const PAGE_JS = String.raw`"use strict";
(function () {
  var hosts = new Map();
  var metrics = new Map();
  var gpio = new Map();
  var counters = [];
  var self = "";
  var canWrite = false;
  var main = document.getElementById("hosts");
  var summary = document.getElementById("summary");
  var conn = document.getElementById("conn");
  var MAX_ROWS = 60;
  var countersOpen = false;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function num(v) {
    return typeof v === "number" && !Number.isInteger(v) ? String(Number(v.toPrecision(4))) : String(v);
  }
  function show(v) {
    if (typeof v === "string") return v;
    var s = JSON.stringify(v);
    return s === undefined ? "" : s;
  }
  function ago(unixMs) {
    var s = Math.max(0, Math.round((Date.now() - unixMs) / 1000));
    if (s < 90) return s + " s ago";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    return Math.round(s / 3600) + " h ago";
  }
  function table(rows) {
    var t = el("table");
    rows.slice(0, MAX_ROWS).forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("td", "", r[0]));
      var td = el("td");
      if (r[1] instanceof Node) td.appendChild(r[1]); else td.textContent = r[1];
      tr.appendChild(td);
      t.appendChild(tr);
    });
    if (rows.length > MAX_ROWS) t.appendChild(el("tr")).appendChild(el("td", "", "… " + (rows.length - MAX_ROWS) + " more"));
    return t;
  }
  function write(name, value, button) {
    if (button) button.disabled = true;
    fetch("api/gpio/" + encodeURIComponent(name), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value: value }),
      credentials: "same-origin"
    }).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { conn.textContent = "write refused: " + t; conn.className = "conn-bad"; });
    }).catch(function () { conn.textContent = "write failed"; conn.className = "conn-bad"; })
      .then(function () { if (button) button.disabled = false; });
  }
  function gpioRows(h) {
    var m = (metrics.get(h.host) || {}).values || {};
    if (h.self) {
      return Array.from(gpio.values()).map(function (l) {
        var text = l.value === undefined ? "?" : l.kind === "pwm" ? Math.round(l.value * 100) + " %" : String(l.value);
        if (!(l.remote && canWrite)) return [l.name + " (" + l.kind + ")", text];
        var span = el("span", "", text + " ");
        if (l.kind === "pwm") {
          var r = el("input");
          r.type = "range"; r.min = "0"; r.max = "100"; r.value = String(Math.round((l.value || 0) * 100));
          r.setAttribute("aria-label", "duty of " + l.name);
          r.addEventListener("change", function () { write(l.name, Number(r.value) / 100, r); });
          span.appendChild(r);
        } else {
          var b = el("button", "", l.value === 1 ? "turn off" : "turn on");
          b.addEventListener("click", function () { write(l.name, l.value === 1 ? 0 : 1, b); });
          span.appendChild(b);
        }
        return [l.name + " (" + l.kind + ")", span];
      });
    }
    return (h.gpio || []).map(function (n) {
      var v = m["gpio." + n];
      return [n, v === undefined ? "?" : show(v)];
    });
  }
  function card(h) {
    var c = el("section", "host");
    c.dataset.host = h.host;
    c.dataset.state = h.state;
    var title = el("h2");
    title.appendChild(el("span", "name", h.host));
    title.appendChild(el("span", "badge " + h.state, h.state));
    if (h.self) title.appendChild(el("span", "me", "(this host)"));
    c.appendChild(title);
    var seen = el("p", "meta seen", h.self ? "here" : "last seen " + ago(h.lastSeenUnixMs));
    seen.dataset.seen = String(h.lastSeenUnixMs);
    if (!h.self) seen.classList.add("ago");
    c.appendChild(seen);
    c.appendChild(el("p", "meta", (h.addresses || []).join(", ") || "no address"));
    if (h.version) c.appendChild(el("p", "meta", "version " + h.version));
    var svc = Object.keys(h.services || {}).sort();
    if (svc.length) {
      c.appendChild(el("h3", "", "services"));
      c.appendChild(table(svc.map(function (k) { return [k, show(h.services[k])]; })));
    }
    var g = gpioRows(h);
    if (g.length) {
      c.appendChild(el("h3", "", "gpio"));
      c.appendChild(table(g));
    }
    var m = metrics.get(h.host);
    if (m) {
      var keys = Object.keys(m.values).filter(function (k) { return k.indexOf("gpio.") !== 0; }).sort();
      if (keys.length) {
        c.appendChild(el("h3", "", "metrics (" + ago(m.unixMs) + ")"));
        c.appendChild(table(keys.map(function (k) { return [k, show(m.values[k])]; })));
      }
    }
    if (h.self && counters.length) {
      var d = el("details");
      d.open = countersOpen;
      d.addEventListener("toggle", function () { countersOpen = d.open; });
      d.appendChild(el("summary", "", "counters (" + counters.length + ")"));
      d.appendChild(table(counters.map(function (x) {
        var labels = Object.keys(x.labels || {}).map(function (k) { return k + "=" + x.labels[k]; }).join(",");
        return [x.name + (labels ? "{" + labels + "}" : ""), num(x.value)];
      })));
      c.appendChild(d);
    }
    return c;
  }
  function render() {
    var list = Array.from(hosts.values()).sort(function (a, b) {
      if (a.self !== b.self) return a.self ? -1 : 1;
      return a.host < b.host ? -1 : a.host > b.host ? 1 : 0;
    });
    var frag = document.createDocumentFragment();
    list.forEach(function (h) { frag.appendChild(card(h)); });
    main.replaceChildren(frag);
    var n = { alive: 0, suspect: 0, failed: 0 };
    list.forEach(function (h) { n[h.state] = (n[h.state] || 0) + 1; });
    summary.textContent = list.length + (list.length === 1 ? " host" : " hosts") + ": " + n.alive + " alive, " + n.suspect + " suspect, " + n.failed + " failed";
  }
  function tick() {
    document.querySelectorAll(".ago").forEach(function (e) { e.textContent = "last seen " + ago(Number(e.dataset.seen)); });
  }
  function on(es, type, fn) {
    es.addEventListener(type, function (e) {
      var d;
      try { d = JSON.parse(e.data); } catch (err) { return; }
      fn(d);
      render();
    });
  }
  var es = new EventSource("events");
  es.onopen = function () { conn.textContent = "live"; conn.className = "conn-ok"; };
  es.onerror = function () { conn.textContent = "reconnecting"; conn.className = "conn-wait"; };
  on(es, "snapshot", function (s) {
    hosts.clear(); metrics.clear(); gpio.clear();
    self = s.self; canWrite = !!s.canWrite; counters = s.counters || [];
    (s.hosts || []).forEach(function (h) { hosts.set(h.host, h); });
    Object.keys(s.metrics || {}).forEach(function (k) { metrics.set(k, s.metrics[k]); });
    (s.gpio || []).forEach(function (l) { gpio.set(l.name, l); });
  });
  ["join", "update", "suspect", "failed"].forEach(function (t) { on(es, t, function (h) { hosts.set(h.host, h); }); });
  on(es, "leave", function (h) { hosts.delete(h.host); metrics.delete(h.host); });
  on(es, "metric", function (m) { metrics.set(m.host, m.metrics); });
  on(es, "gpio", function (l) { gpio.set(l.name, l); });
  on(es, "counters", function (c) { counters = c; });
  on(es, "seen", function (seen) {
    Object.keys(seen).forEach(function (name) {
      var h = hosts.get(name);
      if (h && typeof seen[name] === "number") h.lastSeenUnixMs = seen[name];
    });
  });
  setInterval(tick, 1000);
})();
`;
