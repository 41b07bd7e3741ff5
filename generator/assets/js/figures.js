/* figures.js: drawing Plotly figures for every view (charts, compare, run and history pages): colours from
 * Material's current scheme (a scheme switch redraws), the legend as toggle chips, an empty figure as one
 * line, and purging figures that instant navigation has taken off the page. */

var drawn = []; // every chart div drawn so far, for the scheme-switch redraw and the purge

// ---- theme -------------------------------------------------------------------------------------------

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
  var layout = wrapTitle(themed((fig && fig.layout) || {}), div);
  if (layout.showlegend !== false) {
    // Legend as toggle chips above the plot (outside the plot area, wrapping on a phone) instead of
    // Plotly's legend, which eats plot height below the axis. Names already carry only differing fields.
    div.__ibOff = div.__ibOff || {};
    var capped = cappedIndexes(data, div);
    data = data.map(function (t, i) {
      if (capped[i]) return Object.assign({}, t, { visible: false });
      return div.__ibOff[i] ? Object.assign({}, t, { visible: "legendonly" }) : t;
    });
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
  var hiddenByCap = 0;
  data.forEach(function (t, i) {
    if (t.visible === false) { hiddenByCap++; return; }
    if (!t.name || t.showlegend === false) return;
    var on = !div.__ibOff[i];
    var chip = el("button", null, "ib-chip"); chip.type = "button";
    chip.setAttribute("data-trace", String(i));
    chip.setAttribute("aria-pressed", on ? "true" : "false");
    var swatch = el("span", null, "ib-swatch ib-sym-" + symbolOf(t));
    swatch.style.background = traceColor(t);
    chip.appendChild(swatch);
    chip.appendChild(document.createTextNode(unentity(t.name)));
    chip.addEventListener("click", function () {
      div.__ibOff[i] = !div.__ibOff[i];
      chip.setAttribute("aria-pressed", div.__ibOff[i] ? "false" : "true");
      Plotly.restyle(div, { visible: div.__ibOff[i] ? "legendonly" : true }, [i]);
    });
    bar.appendChild(chip);
  });
  if (hiddenByCap) bar.appendChild(showAllButton(Plotly, div, hiddenByCap));
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
