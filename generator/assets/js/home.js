/* home.js: the home page's "decide in one screen" (data-ib="home"): model, hardware and workload pickers
 * (defaults from the data, kept in the address), the verdicts of that comparison moved up beside them, and
 * readouts the reader sets: the highest load meeting a TTFT/TPOT target, a TPOT deadline slider that keeps
 * the configurations meeting it, $/M tokens from a price the reader types, J/token measured or not. */

var HOME_PICKS = [["model", "Model"], ["hardware", "Hardware"], ["workload", "Workload"]];

function initHome(root) {
  return payloadAsync(root, "home").then(function (data) {
    if (!data || !data.sets.length) return;
    var h = { root: root, data: data, ui: {}, index: null, curves: null };
    buildHome(h);
    showHomeSet(h, homeChoice(data, params()));
    window.addEventListener("popstate", function () {
      if (document.body.contains(root)) showHomeSet(h, homeChoice(data, params()));
    });
  });
}

// The comparison an address names: narrowed by each key it gives that matches any set; among those left,
// the one with most configurations; no key at all gives the data's default.
function homeChoice(data, p) {
  var idx = data.sets.map(function (_, i) { return i; });
  var named = false;
  [["model", "model"], ["hardware", "hardware"], ["workload", "workload"], ["class", "klass"]].forEach(function (k) {
    var want = p.get(k[0]);
    var kept = idx.filter(function (i) { return data.sets[i][k[1]] === want; });
    if (want !== null && kept.length) { idx = kept; named = true; }
  });
  if (!named) return data["default"];
  return idx.reduce(function (best, i) { return data.sets[i].configs > data.sets[best].configs ? i : best; });
}

function homeLabel(text, control) {
  var label = el("label", text + " ");
  label.appendChild(control);
  return label;
}

function buildHome(h) {
  var pickers = el("div", null, "ib-pickers");
  HOME_PICKS.forEach(function (k) {
    var select = el("select"); select.name = k[0];
    select.addEventListener("change", function () { pickHome(h, k[0], select.value); });
    h.ui[k[0]] = select;
    pickers.appendChild(homeLabel(k[1], select));
  });
  h.ui.verdicts = el("div", null, "ib-home-verdicts");
  var tools = el("div", null, "ib-home-tools");
  h.ui.ttft = homeNumber(h, "ttft"); h.ui.tpot = el("input"); h.ui.tpot.type = "range"; h.ui.tpot.name = "tpot";
  h.ui.tpotText = el("output", null, "ib-num");
  h.ui.tpot.addEventListener("input", function () { homeTargetsChanged(h); });
  h.ui.price = homeNumber(h, "price");
  h.ui.priceUnit = el("span");
  h.ui.source = el("span", null, "ib-price-source");
  tools.appendChild(homeLabel("TTFT target ≤ (ms)", h.ui.ttft));
  var deadline = homeLabel("TPOT deadline ≤", h.ui.tpot); deadline.appendChild(h.ui.tpotText);
  deadline.appendChild(document.createTextNode(" ms")); tools.appendChild(deadline);
  var price = homeLabel("Price $", h.ui.price); price.appendChild(h.ui.priceUnit); price.className = "ib-price";
  tools.appendChild(price);
  tools.appendChild(h.ui.source);
  h.ui.readout = el("div", null, "ib-home-readout");
  h.ui.chart = el("div", null, "ib-chart ib-home-chart");
  // wide screens: the chart beside the verdicts (CSS grid areas); a phone stacks them in this order
  var chartBox = el("div", null, "ib-home-chartbox"); // holds the chart and its legend chips
  chartBox.appendChild(h.ui.chart);
  [pickers, h.ui.verdicts, chartBox, tools, h.ui.readout].forEach(function (n) { h.root.appendChild(n); });
}

function homeNumber(h, name) {
  var input = el("input"); input.type = "number"; input.name = name; input.min = "0"; input.step = "any";
  input.addEventListener("change", function () { homeTargetsChanged(h); });
  return input;
}

function pickHome(h, key, value) {
  var cur = h.data.sets[h.index], p = params();
  var want = { model: cur.model, hardware: cur.hardware, workload: cur.workload };
  want[key] = value;
  // A later picker keeps its value when the new choice has it; otherwise the set with most configurations.
  HOME_PICKS.forEach(function (k) { p.set(k[0], want[k[0]]); });
  p["delete"]("class");
  var idx = homeChoice(h.data, p);
  var set = h.data.sets[idx];
  HOME_PICKS.forEach(function (k) { p.set(k[0], set[k[0]]); });
  if (homeChoice(h.data, p) !== idx) p.set("class", set.klass); // two classes share these three keys
  ["ttft", "tpot"].forEach(function (k) { p["delete"](k); }); // targets are chosen anew from the new data
  history.pushState(history.state, "", location.pathname + "?" + p.toString() + location.hash);
  showHomeSet(h, idx);
}

function fillPicker(select, values, current) {
  select.textContent = "";
  values.forEach(function (v) { var o = el("option", v); o.value = v; o.selected = v === current; select.appendChild(o); });
}

function unique(values) { return values.filter(function (v, i) { return values.indexOf(v) === i; }).sort(); }

function showHomeSet(h, idx) {
  var sets = h.data.sets, set = sets[idx];
  h.index = idx;
  fillPicker(h.ui.model, unique(sets.map(function (s) { return s.model; })), set.model);
  var same = sets.filter(function (s) { return s.model === set.model; });
  fillPicker(h.ui.hardware, unique(same.map(function (s) { return s.hardware; })), set.hardware);
  same = same.filter(function (s) { return s.hardware === set.hardware; });
  fillPicker(h.ui.workload, unique(same.map(function (s) { return s.workload; })), set.workload);
  moveVerdicts(h, idx);
  return loadData(set.src).then(function (curves) {
    if (h.index !== idx) return;
    h.curves = curves;
    homeDefaults(h, set, curves);
    renderHomeReadouts(h);
    return drawFrontiers(h, set);
  });
}

// The chosen comparison's built verdicts (server-rendered, so they read the same without the script) are
// moved up under the pickers; the one shown before goes back to its place in the full list below.
function moveVerdicts(h, idx) {
  if (h.shown) h.placeholder.parentNode.insertBefore(h.shown, h.placeholder);
  var section = document.querySelector('section.ib-decide[data-group="' + idx + '"]');
  h.shown = section;
  if (!section) return;
  h.placeholder = h.placeholder || document.createComment("ib-home");
  section.parentNode.insertBefore(h.placeholder, section);
  h.ui.verdicts.appendChild(section);
}

function homePoints(curve) {
  // curve points: [user tok/s, tok/s per device, level, trials, requests, why, load, TTFT, TPOT, J/token]
  return curve[2].map(function (p) { return [p[6], p[7], p[8], p[1], p[5], p[2], p[9]]; });
}

function homeDefaults(h, set, curves) {
  var p = params();
  var ttfts = [], tpots = [];
  curves.forEach(function (c) { homePoints(c).forEach(function (q) { if (q[1] !== null) ttfts.push(q[1]); if (q[2] !== null) tpots.push(q[2]); }); });
  var median = function (v) { v.sort(function (a, b) { return a - b; }); return v.length ? v[Math.floor(v.length / 2)] : null; };
  var tpotMax = tpots.length ? Math.max.apply(null, tpots) : 0, tpotMin = tpots.length ? Math.min.apply(null, tpots) : 0;
  h.ui.tpot.min = String(Math.floor(tpotMin)); h.ui.tpot.max = String(Math.ceil(tpotMax));
  // a round step near 1/100 of the range, so the value the address keeps reads as typed (9, not 9.05)
  h.ui.tpot.step = String(Math.pow(10, Math.floor(Math.log10(Math.max(tpotMax - tpotMin, 1) / 100))));
  var fromUrl = function (k, fallback) { var v = parseFloat(p.get(k)); return isFinite(v) && v >= 0 ? v : fallback; };
  var m = median(ttfts);
  h.ui.ttft.value = String(fromUrl("ttft", m === null ? "" : Number(m.toPrecision(2))));
  h.ui.tpot.value = String(fromUrl("tpot", Math.ceil(tpotMax)));
  h.ui.price.value = String(fromUrl("price", h.data.price));
  h.ui.priceUnit.textContent = set.unit.indexOf("host") >= 0 ? " per host-hour" : " per GPU-hour";
}

function homeTargetsChanged(h) {
  var p = params();
  p.set("ttft", h.ui.ttft.value); p.set("tpot", h.ui.tpot.value);
  var price = parseFloat(h.ui.price.value);
  if (isFinite(price) && price >= 0 && price !== h.data.price) p.set("price", String(price)); else p["delete"]("price");
  setParams(p);
  renderHomeReadouts(h);
}

function homePrice(h) {
  var v = parseFloat(h.ui.price.value);
  return isFinite(v) && v >= 0 ? v : h.data.price;
}

function renderHomeReadouts(h) {
  var set = h.data.sets[h.index], price = homePrice(h);
  var ttft = parseFloat(h.ui.ttft.value), tpot = parseFloat(h.ui.tpot.value);
  ttft = isFinite(ttft) ? ttft : null; tpot = isFinite(tpot) ? tpot : null;
  h.ui.tpotText.textContent = " " + (tpot === null ? "—" : fmt(tpot));
  h.ui.source.textContent = price === h.data.price ? "Price: " + h.data.price_source + "." :
    "Price: $" + fmt(price) + " as you set it (kept in the address).";
  var rows = h.curves.map(function (c) {
    var pts = homePoints(c);
    return { curve: c, pts: pts, meets: tpot === null || meetsDeadline(pts, tpot), at: highestLoad(pts, ttft, tpot) };
  });
  var kept = rows.filter(function (r) { return r.meets; });
  kept.sort(function (a, b) { return ((b.at && b.at.tput) || -1) - ((a.at && a.at.tput) || -1); });
  var box = h.ui.readout;
  box.textContent = "";
  box.appendChild(el("p", "Highest load that meets TTFT ≤ " + fmt(ttft) + " ms and TPOT ≤ " + fmt(tpot) + " ms: " +
    kept.length + " of " + rows.length + " configurations meet the TPOT deadline at some level" +
    (rows.length > kept.length ? "; the others are hidden." : "."), "ib-readout-note"));
  var table = el("table", null, "ib-table ib-readout");
  var head = el("tr");
  ["Configuration", "Highest load", set.unit, "$/M tokens", "J/token"].forEach(function (t) { head.appendChild(el("th", t)); });
  var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
  var tbody = el("tbody");
  kept.forEach(function (r) { tbody.appendChild(readoutRow(h, r, price)); });
  table.appendChild(tbody);
  var scroll = el("div", null, "ib-scroll"); scroll.appendChild(table); box.appendChild(scroll);
}

function readoutRow(h, r, price) {
  var tr = el("tr"), at = r.at;
  var td = el("td"), a = shortEl("a", r.curve[0]);
  a.href = runUrl(h.data.config_url, r.curve[1]); td.appendChild(a); tr.appendChild(td);
  if (!at) {
    tr.appendChild(el("td", "none meets the targets"));
    ["", "", ""].forEach(function () { tr.appendChild(el("td", "—", "ib-num")); });
    return tr;
  }
  var load = el("td", "c=" + fmt(at.load) + (at.interpolated ? " (interpolated)" : " (measured)"), "ib-load");
  var why = at.levels.map(function (p) { return p[4] ? p[5] + ": " + p[4] : ""; }).filter(Boolean);
  load.title = at.interpolated ? "read off the straight line between " + at.levels[0][5] + " and " + at.levels[1][5] : "a measured level";
  if (why.length) { load.appendChild(document.createTextNode(" ")); var w = badge("⚠ not clean", "ib-unclean"); w.title = why.join("; "); load.appendChild(w); }
  tr.appendChild(load);
  tr.appendChild(el("td", fmt(at.tput), "ib-num"));
  var cost = costPerMillion(price, at.tput);
  tr.appendChild(el("td", cost === null ? "—" : "$" + fmt(cost), "ib-num ib-cost"));
  var joules = at.levels[0][6];
  var energy = el("td", energyText(joules), "ib-energy");
  if (joules !== null && joules !== undefined) energy.title = "at " + at.levels[0][5] + ", the highest measured level that meets the targets";
  tr.appendChild(energy);
  return tr;
}

function drawFrontiers(h, set) {
  var data = set.frontiers.map(function (f) {
    return { type: "scatter", mode: "lines+markers", name: ptext(f[0]), line: { color: f[1], shape: "linear" },
      x: f[2].map(function (p) { return p[0]; }), y: f[2].map(function (p) { return p[1]; }),
      marker: { color: f[1], size: 8, symbol: f[2].map(function (p) { return p[3] ? "circle-open" : "circle"; }) },
      text: f[2].map(function (p) { return ptext(p[2] + (p[3] ? " — not clean: " + p[3] : "")); }),
      hovertemplate: "%{text}<br>%{x:.4g} tok/s per user<br>%{y:.4g} " + ptext(set.unit) + "<extra></extra>" };
  });
  var fig = { data: data, layout: { title: { text: "Per-backend Pareto frontier (configurations pooled)" },
    height: 300, margin: { l: 55, r: 10, t: 40, b: 45 },
    xaxis: { title: { text: "per-user tok/s" } }, yaxis: { title: { text: ptext(set.unit) } } } };
  return loadPlotly().then(function (Plotly) { return draw(Plotly, h.ui.chart, fig); })
    .catch(function (err) { chartError([h.ui.chart], err); });
}

VIEWS.home = initHome;
