/* leaderboard-table.js: the Leaderboard's table: loading the sets in view, the rows of one page with their
 * cells (badges, "not clean" marks, the best clean value of each metric shaded), the pager, and the view
 * written back to the address. */

function updateBoard(b) {
  // Synchronous when every set in view is loaded (sorting, paging, row filters); otherwise load first.
  var need = missingSets(b);
  if (!need.length) { refreshRowFilters(b); renderBoard(b); return Promise.resolve(); }
  var ticket = ++b.pending;
  b.count.textContent = "Loading " + need.length + " comparable set(s)…";
  return loadSets(b, need).then(function () { if (ticket === b.pending) updateBoard(b); });
}

function renderBoard(b) {
  var rows = rowsInView(b);
  b.best = bestValues(b, rows);
  var pages = Math.max(1, Math.ceil(rows.length / PAGE));
  if (b.state.page >= pages) b.state.page = pages - 1;
  if (b.state.page < 0) b.state.page = 0;
  var frag = document.createDocumentFragment();
  rows.slice(b.state.page * PAGE, (b.state.page + 1) * PAGE).forEach(function (r) {
    var tr = el("tr");
    visibleColumns(b).forEach(function (c) {
      var td = boardCell(b, r, c); td.setAttribute("data-label", c.label); tr.appendChild(td); // phone cards
    });
    frag.appendChild(tr);
  });
  b.tbody.textContent = "";
  if (!rows.length) {
    var empty = el("tr"); var td = el("td", b.data.sets.length ? "No rows match these filters." : "No runs yet.");
    td.colSpan = visibleColumns(b).length; empty.appendChild(td); frag.appendChild(empty);
  }
  b.tbody.appendChild(frag);
  b.thead.querySelectorAll("button.ib-sort").forEach(function (button) {
    var on = button.getAttribute("data-sort") === b.state.sort;
    button.parentNode.setAttribute("aria-sort", on ? (b.state.desc ? "descending" : "ascending") : "none");
  });
  b.count.textContent = rows.length + " row(s)";
  renderPager(b, pages);
  setParams(boardQuery(b));
}

function bestValues(b, rows) {
  // Best value of each metric column over every clean row in view (all pages), shaded in its cell.
  var best = {};
  b.columns.forEach(function (c) {
    if (!c.num || c.key === "cost" || c.higher === undefined) return;
    rows.forEach(function (r) {
      var v = r[b.cc[c.key]];
      // a level that may not decide a verdict is never shaded "best" either
      if (v === null || v === undefined || r[b.cc.unclean]) return;
      if (best[c.key] === undefined || (c.higher ? v > best[c.key] : v < best[c.key])) best[c.key] = v;
    });
  });
  return best;
}

function renderPager(b, pages) {
  b.pager.textContent = "";
  if (pages <= 1) return;
  var prev = el("button", "Previous"); prev.type = "button"; prev.disabled = b.state.page === 0;
  prev.addEventListener("click", function () { b.state.page--; updateBoard(b); });
  var next = el("button", "Next"); next.type = "button"; next.disabled = b.state.page >= pages - 1;
  next.addEventListener("click", function () { b.state.page++; updateBoard(b); });
  b.pager.appendChild(prev);
  b.pager.appendChild(el("span", " page " + (b.state.page + 1) + " of " + pages + " "));
  b.pager.appendChild(next);
}

function boardQuery(b) {
  // The view in the address, leaving out what is the default, so a shared link opens the same table.
  var state = b.state, q = new URLSearchParams();
  FILTERS.forEach(function (f) {
    var v = state.filters[f[0]];
    if (f[0] === "class") { if (v !== b.data.default_class) q.set("class", v || "all"); }
    else if (v) q.set(f[0], v);
  });
  if (state.sort !== "out_tok_s") q.set("sort", state.sort);
  if (!state.desc) q.set("dir", "asc");
  if (state.page) q.set("page", String(state.page));
  var hide = Object.keys(b.hidden).filter(function (k) { return b.hidden[k]; });
  if (hide.length) q.set("hide", hide.join(","));
  if (b.priceInput.value !== b.priceInput.defaultValue) q.set("price", String(state.price));
  return columnSetQuery(b, q);
}

// ---- cells ------------------------------------------------------------------------------------------------

function boardCell(b, r, c) {
  var td = el("td");
  var run = runOf(b, r), rc = b.rc, cc = b.cc;
  if (c.key === "run") {
    configurationCell(b, td, run);
  } else if (c.key === "n") {
    td.textContent = trialsRequests(r[cc.trials], r[cc.requests]);
    td.title = r[cc.trials] + " complete trial(s) pooled over the configuration's runs, " + r[cc.requests] + " requests counted in all";
    td.classList.add("ib-num");
  } else if (c.key === "cost") {
    td.textContent = fmt(rowCost(b, r));
  } else if (c.key === "capacity") {
    td.textContent = run[rc.capacity_text] ? "latest search: " + run[rc.capacity_text] : "—";
  } else if (c.key === "labels") {
    run[rc.badges].forEach(function (x) { td.appendChild(badge(x)); });
    if (r[cc.status] !== "complete") td.appendChild(badge("level " + r[cc.status], "ib-warn"));
  } else if (c.num) {
    metricCell(b, td, r, c);
  } else {
    td.textContent = sortValue(b, r, c.key);
  }
  if (c.num) td.classList.add("ib-num");
  return td;
}

function configurationCell(b, td, run) {
  // One row per configuration and level: the box sends the configuration's most recent run to Compare.
  var rc = b.rc;
  var pick = el("input"); pick.type = "checkbox"; pick.className = "ib-rowpick"; pick.value = run[rc.slug];
  pick.checked = !!b.picked[run[rc.slug]];
  pick.setAttribute("aria-label", "select (its most recent run) for Compare");
  pick.addEventListener("change", function () { b.picked[pick.value] = pick.checked; updateCompareLink(b); });
  td.appendChild(pick); td.appendChild(document.createTextNode(" "));
  var a = shortEl("a", run[rc.label], 48);
  a.href = runUrl(b.data.config_url, run[rc.config]);
  a.title = (a.title ? a.title + " · " : "") + "configuration " + run[rc.config] + ": its runs, trials pooled";
  td.appendChild(a);
  // what the set filters leave open (their columns are not in every column set): named under the label
  var open = ["model", "hardware", "workload"].filter(function (k) { return !b.state.filters[k]; });
  if (open.length) td.appendChild(el("span", " " + open.map(function (k) { return run[rc[k]]; }).join(" · "), "ib-trials"));
  td.appendChild(el("span", " " + run[rc.runs] + (run[rc.runs] === 1 ? " run" : " runs"), "ib-trials"));
  // Class badges (random weights, CPU, imported) right beside the name, where every row is read.
  if (run[rc.badges].length) td.appendChild(el("br"));
  run[rc.badges].forEach(function (x) { td.appendChild(badge(x)); td.appendChild(document.createTextNode(" ")); });
}

function metricCell(b, td, r, c) {
  var cc = b.cc, v = r[cc[c.key]];
  var why = r[cc.hidden] && r[cc.hidden][c.key];
  td.textContent = fmt(v);
  labelMetricCell(b, td, r, c);
  if (why) td.title = why;  // a percentile this level's sample cannot support: "—", and why
  if (c.key === "out_tok_s" && r[cc.saturated]) td.appendChild(badge("client saturated", "ib-sat"));
  if (r[cc.unclean] && v !== null) {
    // this level may not decide a verdict: each figure it shows says so, the reason on hover
    var mark = badge(c.key === "out_tok_s" ? "⚠ not clean" : "⚠", "ib-unclean");
    mark.title = "not clean: " + r[cc.unclean];
    mark.setAttribute("aria-label", mark.title);
    td.appendChild(document.createTextNode(" ")); td.appendChild(mark);
  }
  var slo = runOf(b, r)[b.rc.slo];
  if (c.key === "goodput_rps" && v !== null && slo) td.appendChild(el("span", " " + slo, "ib-trials"));
  if (b.best[c.key] !== undefined && v === b.best[c.key]) td.classList.add("ib-best");
}
