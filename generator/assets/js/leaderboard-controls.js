/* leaderboard-controls.js: the Leaderboard's controls: filter selects (set filters from the index, row
 * filters from the loaded rows), the price box, the column picker, "Compare selected" and the sortable header. */

function addOptions(select, values, key) {
  var keys = Object.keys(values);
  if (key === "level") {
    keys.sort(function (a, z) { return (parseFloat(a.replace(/[^0-9.]/g, "")) || 0) - (parseFloat(z.replace(/[^0-9.]/g, "")) || 0); });
  } else { keys.sort(); }
  keys.forEach(function (k) { var o = el("option", values[k]); o.value = k; select.appendChild(o); });
}

function refreshRowFilters(b) {
  // Backend, quantization and level choices come from the rows of the loaded sets in view.
  FILTERS.forEach(function (f) {
    if (SET_KEYS[f[0]]) return;
    var select = b.selects[f[0]], values = {}, want = b.state.filters[f[0]];
    b.allRows.forEach(function (r) { if (setMatch(b, r)) { var v = filterValue(b, r, f[0]); values[v] = v; } });
    while (select.options.length > 1) select.remove(1);
    addOptions(select, values, f[0]);
    if (want && !values[want]) { var o = el("option", want); o.value = want; select.appendChild(o); }
    select.value = want;
  });
}

function buildFilters(b) {
  FILTERS.forEach(function (f) {
    var label = el("label", f[1] + ": ");
    var select = filterSelect(b, f[0]);
    select.addEventListener("change", function () { onFilterChange(b, f[0], select.value); });
    label.appendChild(select);
    b.filterBox.appendChild(label);
    b.selects[f[0]] = select;
  });
  b.priceInput.addEventListener("change", function () {
    var v = parseFloat(b.priceInput.value); b.state.price = isFinite(v) && v >= 0 ? v : 0; updateBoard(b);
  });
}

function filterSelect(b, key) {
  // Class and the set filters list their choices from the index; the row filters fill in as sets load.
  var select = el("select");
  select.setAttribute("data-filter", key);
  var all = el("option", "all"); all.value = ""; select.appendChild(all);
  var values = {};
  if (key === "class") {
    Object.keys(b.data.classes).forEach(function (k) { values[k] = b.data.classes[k]; });
  } else if (SET_KEYS[key]) {
    b.data.sets.forEach(function (s) { var v = s[SET_KEYS[key]]; values[v] = v; });
  }
  addOptions(select, values, key);
  if (b.state.filters[key] === "all") b.state.filters[key] = "";
  if (SET_KEYS[key]) {
    select.value = b.state.filters[key];
    if (select.value !== b.state.filters[key]) { b.state.filters[key] = ""; select.value = ""; }
  }
  return select;
}

function onFilterChange(b, key, value) {
  b.state.filters[key] = value; b.state.page = 0;
  // A pick that no comparable set matches (e.g. a CPU-only model with a GPU chosen) widens the other
  // set filters, last first, instead of showing an empty table.
  ["workload", "hardware", "model", "class"].forEach(function (k) {
    if (k !== key && SET_KEYS[key] && !setsInView(b).length && b.state.filters[k]) {
      b.state.filters[k] = ""; b.selects[k].value = "";
    }
  });
  updateBoard(b);
}

function buildColumnPicker(b) {
  var pickWrap = el("div", null, "ib-colpick");
  var pickToggle = el("button", "Columns ▾", "ib-colpick-toggle"); pickToggle.type = "button";
  var pickBox = el("div", null, "ib-colpick-panel"); pickBox.hidden = true;
  pickToggle.addEventListener("click", function () { pickBox.hidden = !pickBox.hidden; });
  pickWrap.appendChild(pickToggle); pickWrap.appendChild(pickBox);
  b.columns.forEach(function (c) {
    if (c.key === "run") return;
    var label = el("label");
    var box = el("input"); box.type = "checkbox"; box.checked = !b.hidden[c.key];
    box.setAttribute("data-col", c.key);
    box.addEventListener("change", function () { b.hidden[c.key] = !box.checked; buildHeader(b); updateBoard(b); });
    label.appendChild(box); label.appendChild(document.createTextNode(" " + c.label));
    pickBox.appendChild(label);
  });
  b.filterBox.appendChild(pickWrap);
  b.compareLink = el("a", "Compare selected (0)", "ib-compare-selected");
  b.compareLink.href = ROOT + b.data.compare_url;
  b.filterBox.appendChild(b.compareLink);
}

function updateCompareLink(b) {
  var slugs = Object.keys(b.picked).filter(function (k) { return b.picked[k]; });
  b.compareLink.textContent = "Compare selected (" + slugs.length + ")";
  b.compareLink.href = ROOT + b.data.compare_url + (slugs.length ? "?runs=" + slugs.map(encodeURIComponent).join(",") : "");
}

function visibleColumns(b) { return b.columns.filter(function (c) { return !b.hidden[c.key]; }); }

function buildHeader(b) {
  b.thead.textContent = "";
  var tr = el("tr");
  visibleColumns(b).forEach(function (c) {
    var th = el("th");
    if (b.data.definitions && b.data.definitions[c.key]) th.title = b.data.definitions[c.key];
    var button = el("button", c.label + (c.unit && c.label.indexOf(c.unit) < 0 ? " (" + c.unit + ")" : ""), "ib-sort");
    button.type = "button";
    button.setAttribute("data-sort", c.key);
    button.addEventListener("click", function () {
      if (b.state.sort === c.key) b.state.desc = !b.state.desc;
      else { b.state.sort = c.key; b.state.desc = c.num ? c.higher !== false : false; }
      b.state.page = 0; updateBoard(b);
    });
    th.appendChild(button);
    tr.appendChild(th);
  });
  b.thead.appendChild(tr);
}
