/* compare.js: the Compare page (data-ib="compare"): pick runs, see their curves, numbers per level against
 * the first (reference) run, and metadata side by side; each run's points load from its own file. */

function initCompare(root) {
  return payloadAsync(root, "compare").then(function (data) { if (data) return compareView(root, compactRuns(data)); });
}

function compactRuns(data) {
  // The index is compact rows; each run's curve points and metadata load from its own file when picked.
  var ci = {}; data.cols.forEach(function (c, i) { ci[c] = i; });
  data.runs = data.runs.map(function (row) {
    var g = data.groups[row[ci.group]], slug = row[ci.slug];
    return { slug: slug, short: slug.slice(0, data.short), badges: row[ci.badges], color: data.colors[row[ci.color]],
      label: row[ci.head] + " · " + g[1] + " · " + g[2] + " · " + slug.slice(0, data.short),
      group: g.join("|"), src: data.src.replace("{slug}", slug).replace("{digest}", row[ci.digest]) };
  });
  return data;
}

function pct(v, ref) {
  if (v === null || ref === null || v === undefined || ref === undefined || !ref) return "";
  var d = (v / ref - 1) * 100;
  return " (" + (d >= 0 ? "+" : "") + d.toFixed(1) + "%)";
}

function compareView(root, data) {
  // The view is one object (v) the parts share: payload, runs by slug, the picked slugs (reference first).
  var v = { root: root, data: data, bySlug: {}, selected: [], boxes: [], onlyDiff: root.querySelector(".ib-only-diff") };
  data.runs.forEach(function (r) { v.bySlug[r.slug] = r; });
  v.selected = initialSelection(v);
  buildPicker(v);
  v.onlyDiff.addEventListener("change", function () { renderCompare(v); });
  return renderCompare(v);
}

function initialSelection(v) {
  var wanted = (params().get("runs") || "").split(",").filter(function (s) { return v.bySlug[s]; });
  // Opened from a run page (one run named): keep that run first and add the closest comparable run.
  if (wanted.length === 1) {
    var from = v.bySlug[wanted[0]];
    var sibling = v.data.runs.filter(function (r) { return r.slug !== from.slug && r.group === from.group; })[0];
    if (sibling) wanted.push(sibling.slug);
  }
  return wanted.length ? wanted : v.data.runs.slice(0, 2).map(function (r) { return r.slug; });
}

function buildPicker(v) {
  var picker = v.root.querySelector(".ib-picker");
  var find = v.root.querySelector(".ib-find");
  v.data.runs.forEach(function (r) {
    var label = el("label", null, "ib-pick");
    var box = el("input"); box.type = "checkbox"; box.value = r.slug;
    box.checked = v.selected.indexOf(r.slug) >= 0;
    box.addEventListener("change", function () {
      if (box.checked) { if (v.selected.indexOf(r.slug) < 0) v.selected.push(r.slug); }
      else v.selected = v.selected.filter(function (s) { return s !== r.slug; });
      renderCompare(v);
    });
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + r.label + " "));
    r.badges.forEach(function (b) { label.appendChild(badge(b)); });
    label.setAttribute("data-search", (r.label + " " + r.slug + " " + r.group).toLowerCase());
    picker.appendChild(label);
    v.boxes.push(box);
  });
  if (!v.data.runs.length) picker.appendChild(el("p", "No runs yet."));
  find.addEventListener("input", function () {
    var q = find.value.toLowerCase();
    picker.querySelectorAll("label.ib-pick").forEach(function (l) {
      l.style.display = !q || l.getAttribute("data-search").indexOf(q) >= 0 ? "" : "none";
    });
  });
}

function renderCompare(v) {
  var q = params();
  if (v.selected.length) q.set("runs", v.selected.join(",")); else q.delete("runs");
  setParams(q);
  v.boxes.forEach(function (b) { b.checked = v.selected.indexOf(b.value) >= 0; });
  var shown = v.selected.slice();
  return Promise.all(shown.map(function (slug) { return loadData(v.bySlug[slug].src); })).then(function (details) {
    if (shown.join() !== v.selected.join()) return; // a newer pick is rendering
    details.forEach(function (d, i) { v.bySlug[shown[i]].levels = d.levels; });
    renderNumbers(v);
    renderMeta(v, details.map(function (d) { return d.meta; }));
    return drawCompare(v);
  });
}

function drawCompare(v) {
  return renderFigures(v.root, {
    throughput: lineFig(v, "Output throughput vs load", "Concurrency (or request rate)", "Output tok/s", 0, 1, true),
    ttft: lineFig(v, "TTFT p50 vs load", "Concurrency (or request rate)", "TTFT p50 (ms)", 0, 2, true),
    tpot: lineFig(v, "TPOT p50 vs load", "Concurrency (or request rate)", "TPOT p50 (ms)", 0, 3, true),
    pareto: lineFig(v, "Throughput per GPU vs per-user tok/s", "Per-user tok/s (p50)", "Output tok/s per GPU", 4, 5, false)
  });
}

function lineFig(v, title, xTitle, yTitle, xi, yi, logX) {
  var traces = v.selected.map(function (slug) {
    var r = v.bySlug[slug];
    // Points joined in load order (column 0): per-user speed falls as load rises, so sorting by x would
    // join them out of order and zig-zag wherever two levels swap.
    var pts = r.levels.filter(function (l) { return l[xi] !== null && l[yi] !== null; })
      .sort(function (a, b) { return a[0] - b[0]; });
    return { type: "scatter", mode: "lines+markers", name: ptext(r.label),
      line: { color: r.color }, marker: { color: r.color },
      x: pts.map(function (l) { return l[xi]; }), y: pts.map(function (l) { return l[yi]; }),
      customdata: pts.map(function (l) { return l[0]; }), // each point's load, the order they are joined in
      hovertemplate: "%{fullData.name}<br>%{x}, %{y}<extra></extra>" };
  }).filter(function (t) { return t.x.length; });
  var xs = {};
  traces.forEach(function (t) { t.x.forEach(function (x) { if (x > 0) xs[x] = x; }); });
  var ticks = Object.keys(xs).map(function (k) { return xs[k]; }).sort(function (a, b) { return a - b; });
  var xaxis = { title: { text: xTitle }, type: logX ? "log" : "linear" };
  if (logX && ticks.length && ticks.length <= 16) {
    xaxis.tickmode = "array"; xaxis.tickvals = ticks; xaxis.ticktext = ticks.map(function (x) { return String(x); });
  }
  return { data: traces, layout: { title: { text: title }, height: 420, hovermode: "closest",
    legend: { orientation: "h", y: -0.25 }, showlegend: true, margin: { l: 60, r: 20, t: 50, b: 60 },
    xaxis: xaxis, yaxis: { title: { text: yTitle }, rangemode: "tozero" } } };
}

function renderNumbers(v) {
  // Levels x metrics, each run against the first selected one (the run you came from); columns, headers
  // and which direction is better come from the column registry (payload.numbers).
  var table = v.root.querySelector(".ib-numbers");
  var thead = table.querySelector("thead"), tbody = table.querySelector("tbody");
  thead.textContent = ""; tbody.textContent = "";
  if (!v.selected.length) return;
  var head = el("tr"); head.appendChild(el("th", "Level")); head.appendChild(el("th", "Metric"));
  v.selected.forEach(function (slug, i) {
    var th = el("th", shortLabel(v, slug) + (i === 0 ? " (reference)" : ""));
    th.title = v.bySlug[slug].label;
    head.appendChild(th);
  });
  thead.appendChild(head);
  var loads = {};
  v.selected.forEach(function (slug) { v.bySlug[slug].levels.forEach(function (l) { if (l[0] !== null) loads[l[0]] = true; }); });
  Object.keys(loads).map(Number).sort(function (a, b) { return a - b; }).forEach(function (load) {
    v.data.numbers.forEach(function (m, k) {
      var tr = el("tr"); tr.appendChild(el("td", load)); tr.appendChild(el("td", m[1]));
      var ref = null;
      v.selected.forEach(function (slug, i) {
        var lv = v.bySlug[slug].levels.filter(function (l) { return l[0] === load; })[0];
        var cell = numberCell(lv, k, m[2], i > 0 ? ref : null);
        if (i === 0) ref = lv;
        tr.appendChild(cell);
      });
      tbody.appendChild(tr);
    });
  });
}

function shortLabel(v, slug) {
  var r = v.bySlug[slug];
  return r.label.split(" · ")[0] + " · " + r.short;
}

function numberCell(lv, k, higherIsBetter, ref) {
  // The value, its 95% interval, the % difference against the reference coloured by the metric's direction
  // (green better, red worse; no colour when the two intervals overlap: the difference may be noise), and
  // a flag when the level may not decide a verdict.
  var x = lv ? lv[1 + k] : null, lo = lv ? lv[6 + 2 * k] : null, hi = lv ? lv[7 + 2 * k] : null;
  var td = el("td", fmt(x), "ib-num");
  if (lo !== null && hi !== null && x !== null) td.appendChild(el("span", " [" + fmt(lo) + ", " + fmt(hi) + "]", "ib-ci"));
  var rx = ref ? ref[1 + k] : null;
  if (ref && x !== null && rx) {
    var d = (x / rx - 1) * 100;
    var span = el("span", " (" + (d >= 0 ? "+" : "") + d.toFixed(1) + "%)", "ib-delta");
    var rlo = ref[6 + 2 * k], rhi = ref[7 + 2 * k];
    var overlap = lo !== null && hi !== null && rlo !== null && rhi !== null && lo <= rhi && rlo <= hi;
    if (d !== 0 && !overlap) {
      var better = higherIsBetter ? d > 0 : d < 0;
      span.className += better ? " ib-better" : " ib-worse";
      span.title = (better ? "better" : "worse") + " than the reference (" + (higherIsBetter ? "higher" : "lower") + " is better)";
    } else if (overlap) span.title = "the 95% intervals overlap: within noise";
    td.appendChild(span);
  }
  var why = lv ? lv[14] : "";
  if (why) { var flag = el("span", " ⚠", "ib-flag"); flag.title = "not clean: " + why; td.appendChild(flag); }
  return td;
}

function renderMeta(v, metas) {
  var thead = v.root.querySelector(".ib-meta thead");
  var tbody = v.root.querySelector(".ib-meta tbody");
  thead.textContent = ""; tbody.textContent = "";
  var head = el("tr"); head.appendChild(el("th", "Field"));
  v.selected.forEach(function (slug) {
    var th = el("th"); var a = el("a", v.bySlug[slug].short); a.href = runUrl(v.data.run_url, slug);
    th.appendChild(a); head.appendChild(th);
  });
  thead.appendChild(head);
  var fields = [];
  var seen = {};
  metas.forEach(function (meta) {
    Object.keys(meta).forEach(function (k) { if (!seen[k]) { seen[k] = true; fields.push(k); } });
  });
  var frag = document.createDocumentFragment();
  fields.forEach(function (f) {
    var values = metas.map(function (meta) { var x = meta[f]; return x === undefined ? "—" : x; });
    var differs = values.some(function (x) { return x !== values[0]; });
    if (v.onlyDiff.checked && !differs) return;
    var tr = el("tr", null, differs ? "ib-diff" : "");
    tr.appendChild(el("th", f));
    values.forEach(function (x) { tr.appendChild(metaCell(x)); });
    frag.appendChild(tr);
  });
  tbody.appendChild(frag);
  // With only differing fields shown, every row differs: highlighting them all would mark nothing.
  v.root.querySelector(".ib-meta").classList.toggle("ib-only", v.onlyDiff.checked);
}

var FOLD_AT = 80;

function metaCell(x) {
  // A long value (a chat template, a launch line) is folded to its first line, the rest one click away,
  // and wraps inside its cell instead of running past the right edge.
  var td = el("td", null, "ib-meta-value");
  if (x.length <= FOLD_AT && x.indexOf("\n") < 0) { td.textContent = x; return td; }
  var details = el("details"), summary = el("summary", x.split("\n")[0].slice(0, FOLD_AT) + "… (" + x.length + " characters)");
  details.appendChild(summary);
  details.appendChild(el("div", x, "ib-folded"));
  td.appendChild(details);
  return td;
}

VIEWS.compare = initCompare;
