/* leaderboard-views.js: what the Leaderboard shows first. A column set per question (latency, throughput,
 * cost and energy, or all columns: generator/data/columns.py COLUMN_SETS), one row per configuration (at
 * the level that sorts first, clean levels before others) unless the reader asks for every level, both kept
 * in the address (`cols=`, `rows=levels`); CPU rows' per-device throughput labelled per host; J/token
 * labelled measured or "not measured"; on a phone each row is a card (the header's label beside each
 * figure, set here as data-label). */

function columnSet(b) { return b.data.column_sets[b.state.cols] || b.data.column_sets[b.data.default_column_set]; }

function setHidden(b) {
  var keep = columnSet(b).columns, hidden = {};
  if (keep) b.columns.forEach(function (c) { if (keep.indexOf(c.key) < 0) hidden[c.key] = true; });
  return hidden;
}

function setSortDesc(b, key) {
  var column = b.columns.filter(function (c) { return c.key === key; })[0];
  return !!(column && column.num && column.higher !== false);
}

// Called once the board exists: the set and row mode from the address, its columns and its sort unless
// the address names them.
function applyColumnSet(b, p) {
  var want = p.get("cols");
  b.state.cols = want && b.data.column_sets[want] ? want : b.data.default_column_set;
  b.state.rowsMode = p.get("rows") === "levels" ? "levels" : "configs";
  if (!p.get("hide")) b.hidden = setHidden(b);
  if (!p.get("sort")) { b.state.sort = columnSet(b).sort; b.state.desc = setSortDesc(b, b.state.sort); }
}

function buildSetSwitch(b) {
  var box = el("div", null, "ib-colsets");
  var select = el("select"); select.setAttribute("data-colset", "1");
  Object.keys(b.data.column_sets).forEach(function (k) {
    var o = el("option", b.data.column_sets[k].label); o.value = k; o.selected = k === b.state.cols; select.appendChild(o);
  });
  select.addEventListener("change", function () {
    b.state.cols = select.value; b.hidden = setHidden(b);
    b.state.sort = columnSet(b).sort; b.state.desc = setSortDesc(b, b.state.sort); b.state.page = 0;
    syncColumnPicker(b); buildHeader(b); updateBoard(b);
  });
  var rows = el("select"); rows.setAttribute("data-rows", "1");
  [["configs", "one per configuration"], ["levels", "every load level"]].forEach(function (r) {
    var o = el("option", r[1]); o.value = r[0]; o.selected = r[0] === b.state.rowsMode; rows.appendChild(o);
  });
  rows.addEventListener("change", function () { b.state.rowsMode = rows.value; b.state.page = 0; updateBoard(b); });
  var l1 = el("label", "Show "); l1.appendChild(select);
  var l2 = el("label", "Rows "); l2.appendChild(rows);
  box.appendChild(l1); box.appendChild(l2);
  b.filterBox.insertBefore(box, b.filterBox.firstChild);
}

function syncColumnPicker(b) {
  b.filterBox.querySelectorAll("input[data-col]").forEach(function (box) { box.checked = !b.hidden[box.getAttribute("data-col")]; });
}

// One row per configuration: the first of its rows in sort order, a clean level before one that is not.
function oneRowPerConfiguration(b, rows) {
  var first = {}, out = [];
  rows.forEach(function (r) {
    var key = runOf(b, r)[b.rc.config], seen = first[key];
    if (seen === undefined) { first[key] = out.length; out.push(r); }
    else if (out[seen][b.cc.unclean] && !r[b.cc.unclean]) out[seen] = r;
  });
  return out;
}

function boardRows(b, rows) { return b.state.rowsMode === "levels" ? rows : oneRowPerConfiguration(b, rows); }

// The view's own part of the address: the set, the row mode, and hidden columns only where they differ
// from the set's.
function columnSetQuery(b, q) {
  if (b.state.cols !== b.data.default_column_set) q.set("cols", b.state.cols);
  if (b.state.rowsMode === "levels") q.set("rows", "levels");
  var base = setHidden(b), hide = Object.keys(b.hidden).filter(function (k) { return b.hidden[k]; });
  var same = hide.length === Object.keys(base).length && hide.every(function (k) { return base[k]; });
  if (same) q["delete"]("hide"); else q.set("hide", hide.join(",") || "none");
  if (b.state.sort === columnSet(b).sort && b.state.desc === setSortDesc(b, b.state.sort)) { q["delete"]("sort"); q["delete"]("dir"); }
  else { q.set("sort", b.state.sort); if (b.state.desc) q["delete"]("dir"); else q.set("dir", "asc"); }
  return q;
}

function isCpuRow(b, r) { return String(runOf(b, r)[b.rc.klass]).split("+").indexOf("cpu") >= 0; }

// tok/s per GPU of a CPU row is its throughput per host (the unit its cost uses), labelled where shown.
function perDeviceValue(b, r) {
  var v = r[b.cc.out_tok_s_gpu];
  if ((v === null || v === undefined) && isCpuRow(b, r)) {
    var tok = r[b.cc.out_tok_s], devices = runOf(b, r)[b.rc.devices];
    return tok !== null && devices > 0 ? tok / devices : null;
  }
  return v;
}

function labelMetricCell(b, td, r, c) {
  if (c.key === "out_tok_s_gpu" && isCpuRow(b, r) && r[b.cc.out_tok_s_gpu] == null) {
    td.textContent = fmt(perDeviceValue(b, r));
    td.appendChild(el("span", " per host", "ib-trials"));
    td.title = "CPU run: output tok/s per host";
  } else if (c.key === "j_per_tok") {
    if (r[b.cc.j_per_tok] === null || r[b.cc.j_per_tok] === undefined) {
      td.textContent = "not measured"; td.classList.add("ib-trials");
      td.title = "no valid NVML energy reading for this level";
    } else td.title = "measured (NVML)";
  }
}
