/* legend.js: what figures.js needs to keep a chart readable at any size: the legend capped at LEGEND_CAP
 * series (the data arrive best first) with a "show all" control, swatches in their trace's own colour and
 * marker shape, and titles broken into lines that fit the chart's width (Plotly never wraps a title). */

var LEGEND_CAP = 8;

function cappedIndexes(data, div) {
  // Series past the cap are not drawn until the reader asks for all of them; guides (the Pareto frontier,
  // meta.ib_always) never count and are never cut.
  var out = {}, seen = 0;
  if (div.__ibAll) return out;
  data.forEach(function (t, i) {
    if (!t.name || t.showlegend === false || (t.meta && t.meta.ib_always)) return;
    seen++;
    if (seen > LEGEND_CAP) out[i] = true;
  });
  return out;
}

function showAllButton(Plotly, div, hidden) {
  var more = el("button", "Show all (" + hidden + " more)", "ib-chip ib-show-all");
  more.type = "button";
  more.addEventListener("click", function () {
    div.__ibAll = true;
    draw(Plotly, div, div.__ibfig);
  });
  return more;
}

function traceColor(t) {
  return (t.line && t.line.color) || (t.marker && typeof t.marker.color === "string" && t.marker.color) || "#888";
}

function symbolOf(t) {
  var s = t.marker && t.marker.symbol;
  if (Array.isArray(s)) s = s[0];
  return String(s || "circle").replace(/-open$/, "");
}

function wrapTitle(layout, div) {
  // Break the title at spaces so each line fits the chart's width (about 0.55 em a character), and make room.
  var title = layout.title && layout.title.text;
  var width = div.clientWidth || 0;
  if (!title || !width) return layout;
  var size = (layout.title.font && layout.title.font.size) || 17;
  var perLine = Math.max(12, Math.floor((width - 24) / (size * 0.55)));
  if (title.length <= perLine) return layout;
  var lines = [], line = "";
  title.split(" ").forEach(function (word) {
    if (line && (line + " " + word).length > perLine) { lines.push(line); line = word; }
    else line = line ? line + " " + word : word;
  });
  if (line) lines.push(line);
  var margin = Object.assign({ t: 50 }, layout.margin || {});
  margin.t = (margin.t || 50) + (lines.length - 1) * Math.round(size * 1.25);
  return Object.assign({}, layout, {
    title: Object.assign({}, layout.title, { text: lines.join("<br>"), x: 0.5, xanchor: "center",
      y: 1, yref: "paper", yanchor: "bottom", pad: { b: 12 } }),
    margin: margin
  });
}
