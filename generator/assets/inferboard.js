/* inferboard page script: renders the leaderboard, charts, run and compare pages from the JSON payloads
 * the build puts in <script type="application/json" class="ib-data">. Run strings only ever reach the DOM
 * through textContent (never innerHTML), and reach Plotly entity-escaped (Plotly reads some HTML in text).
 * Material's instant navigation swaps page content without reloading scripts, so rendering hangs off
 * Material's document$ observable (it fires on the first load and after every navigation). */
(function () {
  "use strict";
  if (window.__inferboard) return; // a re-evaluated script must not subscribe twice
  window.__inferboard = true;

  var SCRIPT_URL = document.currentScript ? document.currentScript.src : "";
  // This file lives at <site root>/assets/ib/inferboard.js.
  var ROOT = SCRIPT_URL ? new URL("../../", SCRIPT_URL).href : new URL("./", location.href).href;
  var plotlyPromise = null;
  var drawn = [];

  function loadPlotly() {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (!plotlyPromise) {
      plotlyPromise = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = ROOT + "assets/ib/plotly-basic.min.js";
        s.onload = function () { resolve(window.Plotly); };
        s.onerror = function () { plotlyPromise = null; reject(new Error("plotly.js could not be loaded")); };
        document.head.appendChild(s);
      });
    }
    return plotlyPromise;
  }

  var dataPromises = {};

  function loadData(src) {
    // Shared data assets (assets/ib/data/*.js, content-hashed names): loaded once, cached by the browser.
    var name = src.split("/").pop();
    if (window.__ibData && window.__ibData[name]) return Promise.resolve(window.__ibData[name]);
    if (!dataPromises[name]) {
      dataPromises[name] = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = ROOT + src;
        s.onload = function () { resolve((window.__ibData || {})[name]); };
        s.onerror = function () { delete dataPromises[name]; reject(new Error("data file " + name + " could not be loaded")); };
        document.head.appendChild(s);
      });
    }
    return dataPromises[name];
  }

  function payloadAsync(container, kind) {
    var holder = container.querySelector('.ib-data[data-kind="' + kind + '"]');
    if (!holder) return Promise.resolve(null);
    var src = holder.getAttribute("data-src");
    return src ? loadData(src) : Promise.resolve(payload(container, kind));
  }

  function payload(container, kind) {
    // <div class="ib-data" data-kind=...><script type="application/json">[payload]</script></div>
    var el = container.querySelector('.ib-data[data-kind="' + kind + '"] > script');
    if (!el) return null;
    try { return JSON.parse(el.textContent)[0]; } catch (e) { return null; }
  }

  // "3 × 14": n trials of m counted requests each; a total that does not split evenly is said in words
  // (generator/render.py trials_requests is the same rule for the pages).
  function trialsRequests(trials, requests) {
    if (requests === null || requests === undefined) return String(trials);
    if (trials > 0 && requests % trials === 0) return trials + " × " + requests / trials;
    return trials + " trials, " + requests + " requests";
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function ptext(s) { // for Plotly names and hover text
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function fmt(v) {
    if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) return "—";
    if (typeof v !== "number") return String(v);
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
    return String(Number(v.toPrecision(4)));
  }

  function runUrl(pattern, slug) {
    // slugs are [a-z0-9-] by construction; encode anyway so a link can never leave the site
    return ROOT + pattern.replace("{slug}", encodeURIComponent(slug));
  }

  function params() { return new URLSearchParams(location.search); }

  function setParams(p) {
    var q = p.toString();
    history.replaceState(history.state, "", location.pathname + (q ? "?" + q : "") + location.hash);
  }

  function badge(text, extra) { return el("span", text, "ib-badge" + (extra ? " " + extra : "")); }

  // ---- charts -------------------------------------------------------------------------------------------

  function axisTheme(axis, fg, grid) {
    return Object.assign({}, axis || {}, { color: fg, gridcolor: grid, linecolor: grid, zerolinecolor: grid });
  }

  function themed(layout) {
    // Colours come from Material's current scheme, read at draw time: a scheme switch redraws (see below).
    var style = getComputedStyle(document.body);
    var fg = style.getPropertyValue("--md-default-fg-color").trim() || "#222";
    var grid = style.getPropertyValue("--md-default-fg-color--lightest").trim() || "rgba(128,128,128,0.3)";
    var out = Object.assign({}, layout);
    out.font = Object.assign({}, out.font || {}, { color: fg });
    out.plot_bgcolor = "rgba(0,0,0,0)";
    out.paper_bgcolor = "rgba(0,0,0,0)";
    out.autosize = true;
    out.xaxis = axisTheme(out.xaxis, fg, grid);
    out.yaxis = axisTheme(out.yaxis, fg, grid);
    if (out.yaxis2) out.yaxis2 = axisTheme(out.yaxis2, fg, grid);
    out.legend = Object.assign({}, out.legend || {}, { font: { color: fg } });
    return out;
  }

  var TOUCH = window.matchMedia && window.matchMedia("(hover: none)").matches;

  function draw(Plotly, div, fig) {
    var data = (fig && fig.data) || [];
    div.__ibfig = fig;
    if (drawn.indexOf(div) < 0) drawn.push(div);
    if (!data.length) {
      // Collapse an empty chart to one line instead of an empty 440 px box.
      try { Plotly.purge(div); } catch (e) { /* never drawn */ }
      var title = fig && fig.layout && fig.layout.title ? fig.layout.title.text : "This chart";
      div.classList.add("ib-empty");
      div.textContent = title + ": no data in this view.";
      return Promise.resolve();
    }
    if (div.classList.contains("ib-empty")) { div.classList.remove("ib-empty"); div.textContent = ""; }
    var layout = themed((fig && fig.layout) || {});
    if (layout.showlegend !== false) {
      // Legend as toggle chips above the plot (outside the plot area, wrapping on a phone) instead of
      // Plotly's legend, which eats plot height below the axis. Names already carry only differing fields.
      div.__ibOff = div.__ibOff || {};
      data = data.map(function (t, i) { return div.__ibOff[i] ? Object.assign({}, t, { visible: "legendonly" }) : t; });
      chips(Plotly, div, data);
      layout.showlegend = false;
    }
    // On touch screens the toolbar would sit over the title: hide it there (pinch and tap still work).
    return Plotly.react(div, data, layout,
      { responsive: true, displaylogo: false, displayModeBar: TOUCH ? false : "hover" });
  }

  function unentity(s) { // Plotly names arrive entity-encoded; chips show them through textContent
    return String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function chips(Plotly, div, data) {
    var bar = div.previousElementSibling;
    if (!bar || !bar.classList.contains("ib-chips")) {
      bar = el("div", null, "ib-chips");
      div.parentNode.insertBefore(bar, div);
    }
    bar.textContent = "";
    data.forEach(function (t, i) {
      if (!t.name || t.showlegend === false) return;
      var on = !div.__ibOff[i];
      var chip = el("button", null, "ib-chip"); chip.type = "button";
      chip.setAttribute("aria-pressed", on ? "true" : "false");
      var swatch = el("span", null, "ib-swatch");
      swatch.style.background = (t.line && t.line.color) || (t.marker && typeof t.marker.color === "string" && t.marker.color) || "#888";
      chip.appendChild(swatch);
      chip.appendChild(document.createTextNode(unentity(t.name)));
      chip.addEventListener("click", function () {
        div.__ibOff[i] = !div.__ibOff[i];
        chip.setAttribute("aria-pressed", div.__ibOff[i] ? "false" : "true");
        Plotly.restyle(div, { visible: div.__ibOff[i] ? "legendonly" : true }, [i]);
      });
      bar.appendChild(chip);
    });
    bar.hidden = !bar.childNodes.length;
  }

  function redrawAll() {
    if (!window.Plotly) return;
    drawn.forEach(function (div) {
      if (document.body.contains(div) && div.__ibfig) draw(window.Plotly, div, div.__ibfig);
    });
  }

  // Material switches light/dark by changing data-md-color-scheme on <body>: redraw every chart then.
  new MutationObserver(redrawAll).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

  function chartError(divs, err) {
    divs.forEach(function (d) { d.textContent = "Chart unavailable: " + err.message; });
  }

  function renderFigures(container, figs) {
    var divs = Array.prototype.slice.call(container.querySelectorAll(".ib-chart[data-fig]"));
    if (!divs.length) return Promise.resolve();
    return loadPlotly().then(function (Plotly) {
      return Promise.all(divs.map(function (div) { return draw(Plotly, div, figs[div.getAttribute("data-fig")]); }));
    }).catch(function (err) { chartError(divs, err); });
  }

  function purgeDetached() {
    if (!window.Plotly) { drawn = []; return; }
    drawn = drawn.filter(function (div) {
      if (document.body.contains(div)) return true;
      try { window.Plotly.purge(div); } catch (e) { /* already gone */ }
      return false;
    });
  }

  function costFigure(fig, price) {
    var copy = { data: fig.data.map(function (t) {
      var t2 = Object.assign({}, t);
      if (t.customdata) {
        t2.y = t.customdata.map(function (v) { return v && v > 0 ? price * 1e6 / (3600 * v) : null; });
      }
      return t2;
    }), layout: fig.layout };
    return copy;
  }

  function readPrice(input, p) {
    var fromUrl = parseFloat(p.get("price"));
    if (isFinite(fromUrl) && fromUrl >= 0) input.value = String(fromUrl);
    var v = parseFloat(input.value);
    return isFinite(v) && v >= 0 ? v : 0;
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
    function render() {
      var scope = current();
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

  // ---- leaderboard --------------------------------------------------------------------------------------

  var PAGE = 100;
  var FILTERS = [["class", "Class"], ["model", "Model"], ["hardware", "Hardware"], ["backend", "Backend"],
    ["quant", "Quantization"], ["workload", "Workload"], ["level", "Load level"]];

  function initLeaderboard(root) {
    return payloadAsync(root, "leaderboard").then(function (data) { if (data) return leaderboardView(root, data); });
  }

  function leaderboardView(root, data) {
    var rc = {}; data.run_cols.forEach(function (c, i) { rc[c] = i; });
    var cc = {}; data.cols.forEach(function (c, i) { cc[c] = i; });
    // Rows arrive one comparable set (class x model x hardware x workload) at a time: the index lists the
    // sets, and a set's file is loaded when the filters first reach it, then kept.
    var runs = [], allRows = [], loaded = {};
    var SET_KEYS = { "class": "klass", model: "model", hardware: "hardware", workload: "workload" };
    function setsInView() {
      return data.sets.filter(function (s) {
        return Object.keys(SET_KEYS).every(function (k) { return !state.filters[k] || s[SET_KEYS[k]] === state.filters[k]; });
      });
    }
    function missing() { return setsInView().filter(function (s) { return !loaded[s.src]; }); }
    function loadSets(sets) {
      return Promise.all(sets.map(function (s) {
        return loadData(s.src).then(function (part) {
          if (loaded[s.src]) return;
          loaded[s.src] = true;
          var offset = runs.length;
          part.runs.forEach(function (r) { runs.push(r); });
          part.rows.forEach(function (r) { var copy = r.slice(); copy[cc.run] += offset; allRows.push(copy); });
        });
      }));
    }
    function runOf(row) { return runs[row[cc.run]]; }
    var textCols = {
      model: function (r) { return runOf(r)[rc.model]; },
      backend: function (r) { return runOf(r)[rc.backend_label]; },
      hardware: function (r) { return runOf(r)[rc.hardware]; },
      quant: function (r) { return runOf(r)[rc.quant]; },
      workload: function (r) { return runOf(r)[rc.workload]; },
      level: function (r) { return r[cc.level]; }
    };
    var priceInput = root.querySelector(".ib-price-input");
    var p = params();
    var state = { sort: p.get("sort") || "out_tok_s", desc: p.get("dir") !== "asc", page: parseInt(p.get("page") || "0", 10) || 0,
      price: readPrice(priceInput, p), filters: {} };
    FILTERS.forEach(function (f) { state.filters[f[0]] = p.get(f[0]) || ""; });
    if (!p.get("class")) state.filters["class"] = data.default_class;
    // No view in the address: open on one comparable set (model x hardware x workload), not every row.
    var fresh = !FILTERS.some(function (f) { return p.get(f[0]); });
    if (fresh && data.default_view) {
      Object.keys(data.default_view).forEach(function (k) { state.filters[k] = data.default_view[k]; });
    }
    var hidden = {};
    (p.get("hide") || "").split(",").forEach(function (k) { if (k) hidden[k] = true; });
    var picked = {};

    function cost(r) {
      var tok = r[cc.out_tok_s];
      return tok && tok > 0 ? state.price * runOf(r)[rc.devices] * 1e6 / (3600 * tok) : null;
    }
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

    function sortValue(r, key) {
      if (key === "cost") return cost(r);
      if (key === "capacity") return runOf(r)[rc.capacity];
      if (key === "run") return runOf(r)[rc.label];
      if (key === "n") return r[cc.requests];
      if (key === "level") return r[cc.load];
      if (key === "labels") return runOf(r)[rc.badges].join(" ");
      if (textCols[key]) return textCols[key](r);
      return r[cc[key]];
    }
    function filterValue(r, key) {
      if (key === "class") return runOf(r)[rc.klass];
      return textCols[key](r);
    }

    function addOptions(select, values, key) {
      var keys = Object.keys(values);
      if (key === "level") {
        keys.sort(function (a, b) { return (parseFloat(a.replace(/[^0-9.]/g, "")) || 0) - (parseFloat(b.replace(/[^0-9.]/g, "")) || 0); });
      } else { keys.sort(); }
      keys.forEach(function (k) { var o = el("option", values[k]); o.value = k; select.appendChild(o); });
    }
    function refreshRowFilters() {
      // Backend, quantization and level choices come from the rows of the loaded sets in view.
      var inView = {}; setsInView().forEach(function (s) { inView[s.src] = true; });
      FILTERS.forEach(function (f) {
        if (SET_KEYS[f[0]]) return;
        var select = selects[f[0]], values = {};
        allRows.forEach(function (r) { if (setMatch(r)) { var v = filterValue(r, f[0]); values[v] = v; } });
        while (select.options.length > 1) select.remove(1);
        addOptions(select, values, f[0]);
        if (state.filters[f[0]] && !values[state.filters[f[0]]]) {
          var o = el("option", state.filters[f[0]]); o.value = state.filters[f[0]]; select.appendChild(o);
        }
        select.value = state.filters[f[0]];
      });
    }
    function setMatch(r) {
      return Object.keys(SET_KEYS).every(function (k) { return !state.filters[k] || filterValue(r, k) === state.filters[k]; });
    }

    // filters
    var filterBox = root.querySelector(".ib-filters");
    var selects = {};
    FILTERS.forEach(function (f) {
      var label = el("label", f[1] + ": ");
      var select = el("select");
      select.setAttribute("data-filter", f[0]);
      var all = el("option", "all"); all.value = ""; select.appendChild(all);
      var values = {};
      if (f[0] === "class") {
        Object.keys(data.classes).forEach(function (k) { values[k] = data.classes[k]; });
      } else if (SET_KEYS[f[0]]) {
        data.sets.forEach(function (s) { var v = s[SET_KEYS[f[0]]]; values[v] = v; });
      }
      addOptions(select, values, f[0]);
      if (state.filters[f[0]] === "all") state.filters[f[0]] = "";
      if (SET_KEYS[f[0]]) {
        select.value = state.filters[f[0]];
        if (select.value !== state.filters[f[0]]) { state.filters[f[0]] = ""; select.value = ""; }
      }
      select.addEventListener("change", function () {
        state.filters[f[0]] = select.value; state.page = 0;
        // A pick that no comparable set matches (e.g. a CPU-only model with a GPU chosen) widens the other
        // set filters, last first, instead of showing an empty table.
        ["workload", "hardware", "model", "class"].forEach(function (k) {
          if (k !== f[0] && SET_KEYS[f[0]] && !setsInView().length && state.filters[k]) {
            state.filters[k] = ""; selects[k].value = "";
          }
        });
        update();
      });
      label.appendChild(select);
      filterBox.appendChild(label);
      selects[f[0]] = select;
    });
    priceInput.addEventListener("change", function () {
      var v = parseFloat(priceInput.value); state.price = isFinite(v) && v >= 0 ? v : 0; update();
    });

    // column picker
    var pickWrap = el("div", null, "ib-colpick");
    var pickToggle = el("button", "Columns ▾", "ib-colpick-toggle"); pickToggle.type = "button";
    var pickBox = el("div", null, "ib-colpick-panel"); pickBox.hidden = true;
    pickToggle.addEventListener("click", function () { pickBox.hidden = !pickBox.hidden; });
    pickWrap.appendChild(pickToggle); pickWrap.appendChild(pickBox);
    columns.forEach(function (c) {
      if (c.key === "run") return;
      var label = el("label");
      var box = el("input"); box.type = "checkbox"; box.checked = !hidden[c.key];
      box.setAttribute("data-col", c.key);
      box.addEventListener("change", function () { hidden[c.key] = !box.checked; buildHeader(); update(); });
      label.appendChild(box); label.appendChild(document.createTextNode(" " + c.label));
      pickBox.appendChild(label);
    });
    filterBox.appendChild(pickWrap);
    var compareLink = el("a", "Compare selected (0)", "ib-compare-selected");
    compareLink.href = ROOT + data.compare_url;
    filterBox.appendChild(compareLink);
    function updateCompareLink() {
      var slugs = Object.keys(picked).filter(function (k) { return picked[k]; });
      compareLink.textContent = "Compare selected (" + slugs.length + ")";
      compareLink.href = ROOT + data.compare_url + (slugs.length ? "?runs=" + slugs.map(encodeURIComponent).join(",") : "");
    }
    function visible() { return columns.filter(function (c) { return !hidden[c.key]; }); }

    // header
    var thead = root.querySelector("thead");
    function buildHeader() {
    thead.textContent = "";
    var tr = el("tr");
    visible().forEach(function (c) {
      var th = el("th");
      if (data.definitions && data.definitions[c.key]) th.title = data.definitions[c.key];
      var button = el("button", c.label + (c.unit && c.label.indexOf(c.unit) < 0 ? " (" + c.unit + ")" : ""), "ib-sort");
      button.type = "button";
      button.setAttribute("data-sort", c.key);
      button.addEventListener("click", function () {
        if (state.sort === c.key) state.desc = !state.desc;
        else { state.sort = c.key; state.desc = c.num ? c.higher !== false : false; }
        state.page = 0; update();
      });
      th.appendChild(button);
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    }
    buildHeader();

    var tbody = root.querySelector("tbody");
    var pager = root.querySelector(".ib-pager");
    var count = root.querySelector(".ib-count");

    function rowsInView() {
      var rows = allRows.filter(function (r) {
        return FILTERS.every(function (f) {
          var want = state.filters[f[0]];
          return !want || filterValue(r, f[0]) === want;
        });
      });
      var dir = state.desc ? -1 : 1;
      rows.sort(function (a, b) {
        var x = sortValue(a, state.sort), y = sortValue(b, state.sort);
        var xn = x === null || x === undefined, yn = y === null || y === undefined;
        if (xn || yn) return xn === yn ? 0 : (xn ? 1 : -1); // missing values last either way
        if (typeof x === "number" && typeof y === "number") return (x - y) * dir;
        return String(x).localeCompare(String(y)) * dir;
      });
      return rows;
    }

    function cell(r, c) {
      var td = el("td");
      var run = runOf(r);
      if (c.key === "run") {
        // One row per configuration and level: the box sends the configuration's most recent run to Compare.
        var pick = el("input"); pick.type = "checkbox"; pick.className = "ib-rowpick"; pick.value = run[rc.slug];
        pick.checked = !!picked[run[rc.slug]];
        pick.setAttribute("aria-label", "select (its most recent run) for Compare");
        pick.addEventListener("change", function () { picked[pick.value] = pick.checked; updateCompareLink(); });
        td.appendChild(pick); td.appendChild(document.createTextNode(" "));
        var a = el("a", run[rc.label]);
        a.href = runUrl(data.config_url, run[rc.config]);
        a.title = "configuration " + run[rc.config] + ": its runs, trials pooled";
        td.appendChild(a);
        td.appendChild(el("span", " " + run[rc.runs] + (run[rc.runs] === 1 ? " run" : " runs"), "ib-trials"));
        // Class badges (random weights, CPU, imported) right beside the name, where every row is read.
        if (run[rc.badges].length) td.appendChild(el("br"));
        run[rc.badges].forEach(function (b) { td.appendChild(badge(b)); td.appendChild(document.createTextNode(" ")); });
      } else if (c.key === "n") {
        td.textContent = trialsRequests(r[cc.trials], r[cc.requests]);
        td.title = r[cc.trials] + " complete trial(s) pooled over the configuration's runs, " + r[cc.requests] + " requests counted in all";
        td.classList.add("ib-num");
      } else if (c.key === "cost") {
        td.textContent = fmt(cost(r));
      } else if (c.key === "capacity") {
        td.textContent = run[rc.capacity_text] ? "latest search: " + run[rc.capacity_text] : "—";
      } else if (c.key === "labels") {
        run[rc.badges].forEach(function (b) { td.appendChild(badge(b)); });
        if (r[cc.status] !== "complete") td.appendChild(badge("level " + r[cc.status], "ib-warn"));
      } else if (c.num) {
        var why = r[cc.hidden] && r[cc.hidden][c.key];
        td.textContent = fmt(r[cc[c.key]]);
        if (why) td.title = why;  // a percentile this level's sample cannot support: "—", and why
        if (c.key === "out_tok_s" && r[cc.saturated]) td.appendChild(badge("client saturated", "ib-sat"));
        if (r[cc.unclean] && r[cc[c.key]] !== null) {
          // this level may not decide a verdict: each figure it shows says so, the reason on hover
          var mark = badge(c.key === "out_tok_s" ? "⚠ not clean" : "⚠", "ib-unclean");
          mark.title = "not clean: " + r[cc.unclean];
          mark.setAttribute("aria-label", mark.title);
          td.appendChild(document.createTextNode(" ")); td.appendChild(mark);
        }
        if (c.key === "goodput_rps" && r[cc[c.key]] !== null && run[rc.slo]) td.appendChild(el("span", " " + run[rc.slo], "ib-trials"));
        if (best[c.key] !== undefined && r[cc[c.key]] === best[c.key]) td.classList.add("ib-best");
      } else {
        td.textContent = sortValue(r, c.key);
      }
      if (c.num) td.classList.add("ib-num");
      return td;
    }

    var best = {};
    var pending = 0;
    function update() {
      // Synchronous when every set in view is loaded (sorting, paging, row filters); otherwise load first.
      var need = missing();
      if (!need.length) { refreshRowFilters(); render(); return Promise.resolve(); }
      var ticket = ++pending;
      count.textContent = "Loading " + need.length + " comparable set(s)…";
      return loadSets(need).then(function () { if (ticket === pending) update(); });
    }
    function render() {
      var rows = rowsInView();
      // Best value of each metric column over every clean row in view (all pages), shaded in its cell.
      best = {};
      columns.forEach(function (c) {
        if (!c.num || c.key === "cost" || c.higher === undefined) return;
        rows.forEach(function (r) {
          var v = r[cc[c.key]];
          // a level that may not decide a verdict is never shaded "best" either
          if (v === null || v === undefined || r[cc.unclean]) return;
          if (best[c.key] === undefined || (c.higher ? v > best[c.key] : v < best[c.key])) best[c.key] = v;
        });
      });
      var pages = Math.max(1, Math.ceil(rows.length / PAGE));
      if (state.page >= pages) state.page = pages - 1;
      if (state.page < 0) state.page = 0;
      var frag = document.createDocumentFragment();
      rows.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (r) {
        var tr = el("tr");
        visible().forEach(function (c) { tr.appendChild(cell(r, c)); });
        frag.appendChild(tr);
      });
      tbody.textContent = "";
      if (!rows.length) {
        var empty = el("tr"); var td = el("td", data.sets.length ? "No rows match these filters." : "No runs yet.");
        td.colSpan = visible().length; empty.appendChild(td); frag.appendChild(empty);
      }
      tbody.appendChild(frag);
      thead.querySelectorAll("button.ib-sort").forEach(function (b) {
        var on = b.getAttribute("data-sort") === state.sort;
        b.parentNode.setAttribute("aria-sort", on ? (state.desc ? "descending" : "ascending") : "none");
      });
      count.textContent = rows.length + " row(s)";
      pager.textContent = "";
      if (pages > 1) {
        var prev = el("button", "Previous"); prev.type = "button"; prev.disabled = state.page === 0;
        prev.addEventListener("click", function () { state.page--; update(); });
        var next = el("button", "Next"); next.type = "button"; next.disabled = state.page >= pages - 1;
        next.addEventListener("click", function () { state.page++; update(); });
        pager.appendChild(prev);
        pager.appendChild(el("span", " page " + (state.page + 1) + " of " + pages + " "));
        pager.appendChild(next);
      }
      var q = new URLSearchParams();
      FILTERS.forEach(function (f) {
        var v = state.filters[f[0]];
        if (f[0] === "class") { if (v !== data.default_class) q.set("class", v || "all"); }
        else if (v) q.set(f[0], v);
      });
      if (state.sort !== "out_tok_s") q.set("sort", state.sort);
      if (!state.desc) q.set("dir", "asc");
      if (state.page) q.set("page", String(state.page));
      var hide = Object.keys(hidden).filter(function (k) { return hidden[k]; });
      if (hide.length) q.set("hide", hide.join(","));
      if (priceInput.value !== priceInput.defaultValue) q.set("price", String(state.price));
      setParams(q);
    }
    return update();
  }

  // ---- compare ------------------------------------------------------------------------------------------

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
    var bySlug = {};
    data.runs.forEach(function (r) { bySlug[r.slug] = r; });
    var wanted = (params().get("runs") || "").split(",").filter(function (s) { return bySlug[s]; });
    // Opened from a run page (one run named): keep that run first and add the closest comparable run.
    if (wanted.length === 1) {
      var from = bySlug[wanted[0]];
      var sibling = data.runs.filter(function (r) { return r.slug !== from.slug && r.group === from.group; })[0];
      if (sibling) wanted.push(sibling.slug);
    }
    var selected = wanted.length ? wanted : data.runs.slice(0, 2).map(function (r) { return r.slug; });
    var picker = root.querySelector(".ib-picker");
    var find = root.querySelector(".ib-find");
    var onlyDiff = root.querySelector(".ib-only-diff");
    var boxes = [];
    data.runs.forEach(function (r) {
      var label = el("label", null, "ib-pick");
      var box = el("input"); box.type = "checkbox"; box.value = r.slug;
      box.checked = selected.indexOf(r.slug) >= 0;
      box.addEventListener("change", function () {
        if (box.checked) { if (selected.indexOf(r.slug) < 0) selected.push(r.slug); }
        else selected = selected.filter(function (s) { return s !== r.slug; });
        render();
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + r.label + " "));
      r.badges.forEach(function (b) { label.appendChild(badge(b)); });
      label.setAttribute("data-search", (r.label + " " + r.slug + " " + r.group).toLowerCase());
      picker.appendChild(label);
      boxes.push(box);
    });
    if (!data.runs.length) picker.appendChild(el("p", "No runs yet."));
    find.addEventListener("input", function () {
      var q = find.value.toLowerCase();
      picker.querySelectorAll("label.ib-pick").forEach(function (l) {
        l.style.display = !q || l.getAttribute("data-search").indexOf(q) >= 0 ? "" : "none";
      });
    });
    onlyDiff.addEventListener("change", function () { render(); });

    function lineFig(title, xTitle, yTitle, xi, yi, logX) {
      var traces = selected.map(function (slug) {
        var r = bySlug[slug];
        var pts = r.levels.filter(function (l) { return l[xi] !== null && l[yi] !== null; })
          .sort(function (a, b) { return a[xi] - b[xi]; });
        return { type: "scatter", mode: "lines+markers", name: ptext(r.label),
          line: { color: r.color }, marker: { color: r.color },
          x: pts.map(function (l) { return l[xi]; }), y: pts.map(function (l) { return l[yi]; }),
          hovertemplate: "%{fullData.name}<br>%{x}, %{y}<extra></extra>" };
      }).filter(function (t) { return t.x.length; });
      var xs = {};
      traces.forEach(function (t) { t.x.forEach(function (v) { if (v > 0) xs[v] = v; }); });
      var ticks = Object.keys(xs).map(function (k) { return xs[k]; }).sort(function (a, b) { return a - b; });
      var xaxis = { title: { text: xTitle }, type: logX ? "log" : "linear" };
      if (logX && ticks.length && ticks.length <= 16) {
        xaxis.tickmode = "array"; xaxis.tickvals = ticks; xaxis.ticktext = ticks.map(function (v) { return String(v); });
      }
      return { data: traces, layout: { title: { text: title }, height: 420, hovermode: "closest",
        legend: { orientation: "h", y: -0.25 }, showlegend: true, margin: { l: 60, r: 20, t: 50, b: 60 },
        xaxis: xaxis, yaxis: { title: { text: yTitle }, rangemode: "tozero" } } };
    }

    var NUMBERS = [[1, "Output tok/s", true], [2, "TTFT p50 (ms)", false], [3, "TPOT p50 (ms)", false], [4, "Per-user tok/s", true]];

    function renderNumbers() {
      // Levels x metrics, each run against the first selected one (the run you came from).
      var table = root.querySelector(".ib-numbers");
      var thead = table.querySelector("thead"), tbody = table.querySelector("tbody");
      thead.textContent = ""; tbody.textContent = "";
      if (!selected.length) return;
      var head = el("tr"); head.appendChild(el("th", "Level")); head.appendChild(el("th", "Metric"));
      selected.forEach(function (slug, i) { head.appendChild(el("th", bySlug[slug].label + (i === 0 ? " (reference)" : ""))); });
      thead.appendChild(head);
      var loads = {};
      selected.forEach(function (slug) { bySlug[slug].levels.forEach(function (l) { if (l[0] !== null) loads[l[0]] = true; }); });
      Object.keys(loads).map(Number).sort(function (a, b) { return a - b; }).forEach(function (load) {
        NUMBERS.forEach(function (m) {
          var tr = el("tr"); tr.appendChild(el("td", load)); tr.appendChild(el("td", m[1]));
          var ref = null;
          selected.forEach(function (slug, i) {
            var lv = bySlug[slug].levels.filter(function (l) { return l[0] === load; })[0];
            var v = lv ? lv[m[0]] : null;
            if (i === 0) ref = v;
            tr.appendChild(el("td", fmt(v) + (i > 0 ? pct(v, ref) : ""), "ib-num"));
          });
          tbody.appendChild(tr);
        });
      });
    }

    function renderMeta(metas) {
      var thead = root.querySelector(".ib-meta thead");
      var tbody = root.querySelector(".ib-meta tbody");
      thead.textContent = ""; tbody.textContent = "";
      var head = el("tr"); head.appendChild(el("th", "Field"));
      selected.forEach(function (slug) {
        var th = el("th"); var a = el("a", bySlug[slug].short); a.href = runUrl(data.run_url, slug);
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
        var values = metas.map(function (meta) { var v = meta[f]; return v === undefined ? "—" : v; });
        var differs = values.some(function (v) { return v !== values[0]; });
        if (onlyDiff.checked && !differs) return;
        var tr = el("tr", null, differs ? "ib-diff" : "");
        tr.appendChild(el("th", f));
        values.forEach(function (v) { tr.appendChild(el("td", v)); });
        frag.appendChild(tr);
      });
      tbody.appendChild(frag);
    }

    function render() {
      var q = params();
      if (selected.length) q.set("runs", selected.join(",")); else q.delete("runs");
      setParams(q);
      boxes.forEach(function (b) { b.checked = selected.indexOf(b.value) >= 0; });
      var shown = selected.slice();
      return Promise.all(shown.map(function (slug) { return loadData(bySlug[slug].src); })).then(function (details) {
        if (shown.join() !== selected.join()) return; // a newer pick is rendering
        details.forEach(function (d, i) { bySlug[shown[i]].levels = d.levels; });
        renderNumbers();
        renderMeta(details.map(function (d) { return d.meta; }));
        return drawCompare();
      });
    }
    function drawCompare() {
      return renderFigures(root, {
        throughput: lineFig("Output throughput vs load", "Concurrency (or request rate)", "Output tok/s", 0, 1, true),
        ttft: lineFig("TTFT p50 vs load", "Concurrency (or request rate)", "TTFT p50 (ms)", 0, 2, true),
        tpot: lineFig("TPOT p50 vs load", "Concurrency (or request rate)", "TPOT p50 (ms)", 0, 3, true),
        pareto: lineFig("Throughput per GPU vs per-user tok/s", "Per-user tok/s (p50)", "Output tok/s per GPU", 4, 5, false)
      });
    }
    return render();
  }

  // ---- home: editable interactivity target --------------------------------------------------------------

  function atTarget(points, target) {
    // Same rule as generator/decide.py at_interactivity: best tok/s per device with per-user speed >= target,
    // interpolating linearly between the two levels that straddle the target (n: the smaller of the two).
    // points: [per-user tok/s, tok/s per device, level, trials, requests, why not clean ("" when clean)]
    var pts = points.slice().sort(function (a, b) { return a[0] - b[0]; });
    var best = null;
    pts.forEach(function (p) {
      if (p[0] >= target && (!best || p[1] > best[0])) best = [p[1], p[2], [p[3], p[4]], p[5] ? [p[2] + ": " + p[5]] : []];
    });
    for (var i = 0; i + 1 < pts.length; i++) {
      var a = pts[i], b = pts[i + 1];
      if (a[0] < target && target <= b[0] && b[0] > a[0]) {
        var v = a[1] + (b[1] - a[1]) * (target - a[0]) / (b[0] - a[0]);
        var why = [a, b].filter(function (p) { return p[5]; }).map(function (p) { return p[2] + ": " + p[5]; });
        if (!best || v > best[0]) best = [v, "between " + a[2] + " and " + b[2], [Math.min(a[3], b[3]), Math.min(a[4], b[4])], why];
      }
    }
    return best;
  }

  function cleanPoints(points) { return points.filter(function (p) { return !p[5]; }); }

  function initDecide(root) {
    return payloadAsync(root, "decide").then(function (data) {
      if (!data) return;
      document.querySelectorAll("section.ib-decide").forEach(function (section) {
        var box = section.querySelector(".ib-interactive");
        var src = section.getAttribute("data-src");
        if (!src || !box) return;
        var input = box.querySelector(".ib-threshold");
        input.addEventListener("change", function () {
          var target = parseFloat(input.value);
          if (!isFinite(target) || target < 0) return;
          loadData(src).then(function (curves) { rank(curves, target); });
        });
        function rank(curves, target) {
          // curves hold clean pooled levels only: [label, config key, [[user, tput, level, trials, requests]]]
          var scores = curves.map(function (c) { var s = atTarget(cleanPoints(c[2]), target); return s ? [c[0], c[1], s[0], s[1], s[2]] : null; })
            .filter(function (s) { return s; }).sort(function (a, b) { return b[2] - a[2]; });
          // Same rule as the built verdict: a reading from a level that is not clean, better than the best
          // clean figure, leaves the verdict open and is named.
          var top = scores.length ? scores[0][2] : -Infinity, blocker = null;
          curves.forEach(function (c) {
            var any = atTarget(c[2], target);
            if (any && any[3].length && any[0] > top && (!blocker || any[0] > blocker[1])) blocker = [c[0], any[0], any[1], any[3]];
          });
          var verdict = box.querySelector(".ib-verdict");
          verdict.textContent = "";
          var strong = el("strong", "Throughput at ≥ " + target + " tok/s per user: ");
          verdict.appendChild(strong);
          if (blocker) verdict.appendChild(document.createTextNode("not decidable: " + blocker[0] + " reads " + fmt(blocker[1]) +
            " at " + blocker[2] + ", but that is not clean (" + blocker[3].join("; ") + ")."));
          else if (!scores.length) verdict.appendChild(document.createTextNode("not decidable: no configuration reaches this speed per user."));
          else if (scores.length === 1) verdict.appendChild(document.createTextNode("only " + scores[0][0] + "."));
          else {
            var margin = scores[1][2] > 0 ? (scores[0][2] / scores[1][2] - 1) * 100 : 0;
            verdict.appendChild(document.createTextNode(scores[0][0] + " leads by " + (margin >= 0 ? "+" : "") +
              margin.toFixed(1) + "% over " + scores[1][0] + " (read off the pooled curves of clean levels: " +
              "not tested; the table above the edit had the intervals)."));
          }
          var tbody = box.querySelector("tbody");
          tbody.textContent = "";
          var more = box.querySelector(".ib-more");
          if (more && more.firstChild && more.firstChild.nodeType === 3) {
            more.firstChild.textContent = "Top " + Math.min(data.top, scores.length) + " of " + scores.length + " configurations shown; " +
              Math.max(0, scores.length - data.top) + " more in ";
          }
          scores.slice(0, data.top).forEach(function (s, i) {
            var tr = el("tr");
            tr.appendChild(el("td", i + 1));
            var td = el("td"); var a = el("a", s[0]); a.href = runUrl(data.config_url, s[1]); td.appendChild(a); tr.appendChild(td);
            tr.appendChild(el("td", fmt(s[2]), "ib-num")); tr.appendChild(el("td", "—", "ib-num"));
            tr.appendChild(el("td", s[4] ? trialsRequests(s[4][0], s[4][1]) : "—", "ib-num")); tr.appendChild(el("td", s[3]));
            tbody.appendChild(tr);
          });
        }
      });
    });
  }

  // ---- run pages and dispatch -----------------------------------------------------------------------------

  function init() {
    purgeDetached();
    var content = document.querySelector("article") || document.body;
    content.querySelectorAll("[data-ib]").forEach(function (root) {
      var kind = root.getAttribute("data-ib");
      if (root.getAttribute("data-ib-ready")) return;
      root.setAttribute("data-ib-ready", "1");
      var fail = function (err) {
        root.appendChild(el("p", "This view failed to render: " + err.message, "ib-warn"));
        throw err;
      };
      try {
        var done = kind === "leaderboard" ? initLeaderboard(root)
          : kind === "charts" ? initCharts(root)
          : kind === "compare" ? initCompare(root)
          : kind === "decide" ? initDecide(root) : null;
        if (done) done.catch(fail);
      } catch (err) { fail(err); }
    });
    content.querySelectorAll(".ib-charts").forEach(function (box) {
      if (box.getAttribute("data-ib-ready")) return;
      box.setAttribute("data-ib-ready", "1");
      var figs = payload(box, "figures");
      if (figs) renderFigures(box, figs);
    });
  }

  // Render now (document$ never fires where instant navigation cannot start, e.g. from file://), and
  // again after every instant navigation; the data-ib-ready marks keep a view from rendering twice.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(function () { init(); });
  }
})();
