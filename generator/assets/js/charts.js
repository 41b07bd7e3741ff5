/* charts.js: the Charts page (data-ib="charts"): one scope (comparable set) at a time from its data file,
 * the cost figure recomputed from the price box; scope and price live in the address. */

function costFigure(fig, price) {
  var copy = { data: fig.data.map(function (t) {
    var t2 = Object.assign({}, t);
    if (t.customdata) {
      t2.y = t.customdata.map(function (v) { return costPerMillion(price, v); });
    }
    return t2;
  }), layout: fig.layout };
  return copy;
}

function initCharts(root) {
  return payloadAsync(root, "charts").then(function (data) { if (data) chartsView(root, data); });
}

function chartsView(root, data) {
  var select = root.querySelector(".ib-scope");
  var priceInput = root.querySelector(".ib-price-input");
  var p = params();
  var price = readPrice(priceInput, p);
  data.scopes.forEach(function (s) {
    var o = el("option", s.label);
    o.value = s.key;
    select.appendChild(o);
  });
  var wanted = p.get("view");
  if (wanted && data.scopes.some(function (s) { return s.key === wanted; })) select.value = wanted;
  function current() {
    for (var i = 0; i < data.scopes.length; i++) if (data.scopes[i].key === select.value) return data.scopes[i];
    return data.scopes[0];
  }
  var shown = root.querySelector(".ib-scope-label");
  function render() {
    var scope = current();
    if (shown) shown.textContent = scope ? scope.label : "";
    if (!scope) return renderFigures(root, {});
    return loadData(scope.src).then(function (scopeFigs) {
      if (current() !== scope) return null; // the reader moved on while the file loaded
      var figs = {};
      Object.keys(scopeFigs).forEach(function (k) { figs[k] = scopeFigs[k]; });
      if (figs.cost) figs.cost = costFigure(figs.cost, price);
      return renderFigures(root, figs);
    });
  }
  select.addEventListener("change", function () {
    var q = params(); q.set("view", select.value); setParams(q); render();
  });
  priceInput.addEventListener("change", function () {
    var v = parseFloat(priceInput.value);
    price = isFinite(v) && v >= 0 ? v : 0;
    var q = params(); q.set("price", String(price)); setParams(q); render();
  });
  render();
}

VIEWS.charts = initCharts;
