/* leaderboard-data.js: the Leaderboard page (data-ib="leaderboard"), its state and rows. The view is one
 * "board" object (b) that the parts pass around: payload, column indexes, the loaded runs and rows, the
 * filters/sort/page/price state from the address, and the page's elements. Rows arrive one comparable set
 * (class x model x hardware x workload) at a time: the index lists the sets, and a set's file is loaded
 * when the filters first reach it, then kept. Controls: leaderboard-controls.js; table: leaderboard-table.js. */

var PAGE = 100;
var FILTERS = [["class", "Class"], ["model", "Model"], ["hardware", "Hardware"], ["backend", "Backend"],
  ["quant", "Quantization"], ["workload", "Workload"], ["level", "Load level"]];
// The filters that pick comparable sets (filter key -> field of a set in the index); the others pick rows.
var SET_KEYS = { "class": "klass", model: "model", hardware: "hardware", workload: "workload" };

function initLeaderboard(root) {
  return payloadAsync(root, "leaderboard").then(function (data) { if (data) return leaderboardView(root, data); });
}

function leaderboardView(root, data) {
  var b = newBoard(root, data);
  applyColumnSet(b, params());
  buildFilters(b);
  buildSetSwitch(b);
  buildColumnPicker(b);
  buildHeader(b);
  return updateBoard(b);
}

function newBoard(root, data) {
  var rc = {}; data.run_cols.forEach(function (c, i) { rc[c] = i; });
  var cc = {}; data.cols.forEach(function (c, i) { cc[c] = i; });
  var priceInput = root.querySelector(".ib-price-input");
  var p = params();
  var hidden = {};
  (p.get("hide") || "").split(",").forEach(function (k) { if (k) hidden[k] = true; });
  return {
    root: root, data: data, rc: rc, cc: cc, runs: [], allRows: [], loaded: {},
    state: boardState(data, p, readPrice(priceInput, p)), columns: boardColumns(data), hidden: hidden,
    picked: {}, best: {}, pending: 0, selects: {}, compareLink: null, priceInput: priceInput,
    filterBox: root.querySelector(".ib-filters"), thead: root.querySelector("thead"),
    tbody: root.querySelector("tbody"), pager: root.querySelector(".ib-pager"), count: root.querySelector(".ib-count")
  };
}

function boardState(data, p, price) {
  var state = { sort: p.get("sort") || "out_tok_s", desc: p.get("dir") !== "asc", page: parseInt(p.get("page") || "0", 10) || 0,
    price: price, filters: {} };
  FILTERS.forEach(function (f) { state.filters[f[0]] = p.get(f[0]) || ""; });
  if (!p.get("class")) state.filters["class"] = data.default_class;
  // No view in the address: open on one comparable set (model x hardware x workload), not every row.
  var fresh = !FILTERS.some(function (f) { return p.get(f[0]); });
  if (fresh && data.default_view) {
    Object.keys(data.default_view).forEach(function (k) { state.filters[k] = data.default_view[k]; });
  }
  return state;
}

function boardColumns(data) {
  var columns = [
    { key: "run", label: "Configuration" }, { key: "model", label: "Model" }, { key: "backend", label: "Backend" },
    { key: "hardware", label: "Hardware" }, { key: "quant", label: "Quant" }, { key: "workload", label: "Workload" },
    { key: "level", label: "Level" }, { key: "n", label: "n trials × m requests" }
  ];
  Object.keys(data.metrics).forEach(function (k) {
    columns.push({ key: k, label: data.metrics[k][0], unit: data.metrics[k][1], num: true, higher: data.metrics[k][2] });
  });
  columns.push({ key: "cost", label: "$/M tokens", num: true, higher: false });
  // Capacity is per run and each carries its own SLO, so it is shown with that SLO and never shaded "best".
  if (data.has_capacity) columns.push({ key: "capacity", label: "Capacity under SLO", num: true });
  columns.push({ key: "labels", label: "Labels" });
  return columns;
}

// ---- comparable sets ------------------------------------------------------------------------------------

function setsInView(b) {
  return b.data.sets.filter(function (s) {
    return Object.keys(SET_KEYS).every(function (k) { return !b.state.filters[k] || s[SET_KEYS[k]] === b.state.filters[k]; });
  });
}

function missingSets(b) { return setsInView(b).filter(function (s) { return !b.loaded[s.src]; }); }

function loadSets(b, sets) {
  return Promise.all(sets.map(function (s) {
    return loadData(s.src).then(function (part) {
      if (b.loaded[s.src]) return;
      b.loaded[s.src] = true;
      var offset = b.runs.length;
      part.runs.forEach(function (r) { b.runs.push(r); });
      part.rows.forEach(function (r) { var copy = r.slice(); copy[b.cc.run] += offset; b.allRows.push(copy); });
    });
  }));
}

// ---- row values -------------------------------------------------------------------------------------------

function runOf(b, row) { return b.runs[row[b.cc.run]]; }

// The text columns that are also filters: each row's value, from its run or (level) from the row.
var TEXT_COLS = {
  model: function (b, r) { return runOf(b, r)[b.rc.model]; },
  backend: function (b, r) { return runOf(b, r)[b.rc.backend_label]; },
  hardware: function (b, r) { return runOf(b, r)[b.rc.hardware]; },
  quant: function (b, r) { return runOf(b, r)[b.rc.quant]; },
  workload: function (b, r) { return runOf(b, r)[b.rc.workload]; },
  level: function (b, r) { return r[b.cc.level]; }
};

function rowCost(b, r) {
  var tok = r[b.cc.out_tok_s], devices = runOf(b, r)[b.rc.devices];
  return devices > 0 ? costPerMillion(b.state.price, tok / devices) : null;
}

function sortValue(b, r, key) {
  var rc = b.rc, cc = b.cc;
  if (key === "cost") return rowCost(b, r);
  if (key === "out_tok_s_gpu") return perDeviceValue(b, r);
  if (key === "capacity") return runOf(b, r)[rc.capacity];
  if (key === "run") return runOf(b, r)[rc.label];
  if (key === "n") return r[cc.requests];
  if (key === "level") return r[cc.load];
  if (key === "labels") return runOf(b, r)[rc.badges].join(" ");
  if (TEXT_COLS[key]) return TEXT_COLS[key](b, r);
  return r[cc[key]];
}

function filterValue(b, r, key) {
  if (key === "class") return runOf(b, r)[b.rc.klass];
  return TEXT_COLS[key](b, r);
}

function setMatch(b, r) {
  return Object.keys(SET_KEYS).every(function (k) { return !b.state.filters[k] || filterValue(b, r, k) === b.state.filters[k]; });
}

function rowsInView(b) {
  var rows = b.allRows.filter(function (r) {
    return FILTERS.every(function (f) {
      var want = b.state.filters[f[0]];
      return !want || filterValue(b, r, f[0]) === want;
    });
  });
  var dir = b.state.desc ? -1 : 1;
  rows.sort(function (x0, y0) {
    var x = sortValue(b, x0, b.state.sort), y = sortValue(b, y0, b.state.sort);
    var xn = x === null || x === undefined, yn = y === null || y === undefined;
    if (xn || yn) return xn === yn ? 0 : (xn ? 1 : -1); // missing values last either way
    if (typeof x === "number" && typeof y === "number") return (x - y) * dir;
    return String(x).localeCompare(String(y)) * dir;
  });
  return boardRows(b, rows);
}

VIEWS.leaderboard = initLeaderboard;
