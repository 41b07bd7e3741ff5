/* runsindex.js: the All runs page (data-ib="runs"): a filter over every run and a pager, ROWS at a time.
 * The page itself carries its static rows (readable without JavaScript); the compact index of every run
 * (assets/ib/data/runs-*.js) loads only when the reader filters or turns the page. */

function initRuns(root) {
  var holder = root.querySelector('.ib-data[data-kind="runs"]');
  var v = { root: root, src: holder ? holder.getAttribute("data-src") : null, index: null, page: 1,
    count: Number(root.getAttribute("data-count")) || 0, find: root.querySelector(".ib-runs-find"),
    pager: root.querySelector(".ib-runs-pager"), tbody: root.querySelector(".ib-runs-table tbody") };
  if (!v.src || !v.tbody) return null;
  v.per = Number(root.getAttribute("data-per")) || 100;
  var first = Number(root.getAttribute("data-first")) || 1;
  v.page = Math.floor((first - 1) / v.per) + 1;
  var p = params();
  if (p.get("q")) v.find.value = p.get("q");
  if (p.get("page")) v.page = Math.max(1, parseInt(p.get("page"), 10) || 1);
  var timer = null;
  v.find.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { v.page = 1; showRuns(v); }, 150);
  });
  if (p.get("q") || p.get("page")) return showRuns(v);
  staticRows(v);
  return null;
}

function staticRows(v) {
  // Before any filter: the page's own rows, the first v.per of them, and a pager over all runs.
  var rows = v.tbody.querySelectorAll("tr");
  rows.forEach(function (tr, i) { tr.hidden = i >= v.per; });
  pagerRuns(v, v.count);
  statusRuns(v, v.count, Math.min(rows.length, v.per));
}

function loadRuns(v) {
  if (v.index) return Promise.resolve(v.index);
  return loadData(v.src).then(function (data) {
    var vals = data.values, cols = data.cols;
    v.per = data.per_page;
    v.index = data.rows.map(function (r) {
      var run = {};
      cols.forEach(function (c, i) { run[c] = vals[c] ? vals[c][r[i]] : r[i]; });
      run.search = [run.slug, run.created, run.model, run.backend, run.hardware, run.quant, run.workload,
        (run.badges || []).join(" ")].join(" ").toLowerCase();
      return run;
    });
    v.data = data;
    return v.index;
  });
}

function showRuns(v) {
  return loadRuns(v).then(function (index) {
    var words = v.find.value.toLowerCase().split(/\s+/).filter(Boolean);
    var hits = index.filter(function (r) { return words.every(function (w) { return r.search.indexOf(w) >= 0; }); });
    var pages = Math.max(1, Math.ceil(hits.length / v.per));
    v.page = Math.min(v.page, pages);
    var rows = hits.slice((v.page - 1) * v.per, v.page * v.per);
    v.tbody.textContent = "";
    rows.forEach(function (r) { v.tbody.appendChild(runRow(v, r)); });
    var staticPager = v.root.querySelector(".ib-pages");
    if (staticPager) staticPager.hidden = true;
    pagerRuns(v, hits.length);
    statusRuns(v, hits.length, rows.length);
    var q = params();
    if (v.find.value) q.set("q", v.find.value); else q.delete("q");
    if (v.page > 1) q.set("page", String(v.page)); else q.delete("page");
    setParams(q);
  });
}

function runRow(v, r) {
  var tr = el("tr"), td = el("td"), a = el("a", r.slug.slice(0, v.data.short));
  a.href = runUrl(v.data.run_url, r.slug);
  a.title = r.slug;
  td.appendChild(a); tr.appendChild(td);
  [r.created, r.model, r.backend, r.hardware, r.quant, r.workload, r.levels].forEach(function (x) {
    tr.appendChild(el("td", x));
  });
  var b = el("td");
  (r.badges || []).forEach(function (x) { b.appendChild(badge(x)); });
  tr.appendChild(b);
  return tr;
}

function statusRuns(v, matched, shown) {
  var status = v.root.querySelector(".ib-runs-status");
  if (!status) return;
  var from = shown ? (v.page - 1) * v.per + 1 : 0;
  status.textContent = matched + (v.find.value ? " matching" : "") + " run(s)" +
    (shown ? ", showing " + from + "–" + (from + shown - 1) : "");
}

function pagerRuns(v, matched) {
  var pages = Math.max(1, Math.ceil(matched / v.per));
  v.pager.textContent = "";
  v.pager.hidden = pages < 2;
  if (pages < 2) return;
  function button(text, page, disabled) {
    var b = el("button", text, "ib-chip ib-page-button"); b.type = "button"; b.disabled = disabled;
    b.addEventListener("click", function () { v.page = page; showRuns(v); });
    return b;
  }
  v.pager.appendChild(button("← Previous", v.page - 1, v.page <= 1));
  v.pager.appendChild(el("span", " Page " + v.page + " of " + pages + " ", "ib-page-of"));
  v.pager.appendChild(button("Next →", v.page + 1, v.page >= pages));
}

VIEWS.runs = initRuns;
