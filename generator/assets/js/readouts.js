/* readouts.js: pure functions behind the figures a reader sets up (home page, leaderboard, charts): cost per
 * million tokens from a price the reader types, the highest load that meets latency targets, the energy
 * label. No DOM here; tests/generator/test_home_browser.py checks them on hand-computed values. */

// $ per million output tokens: the price of one device (GPU, or host on CPU) for an hour, over the tokens
// one device outputs in that hour (same formula as generator/figures/charts.py cost_per_mtok).
function costPerMillion(pricePerHour, tokPerSecPerDevice) {
  if (!(tokPerSecPerDevice > 0) || !isFinite(tokPerSecPerDevice) || !(pricePerHour >= 0)) return null;
  return pricePerHour * 1e6 / (3600 * tokPerSecPerDevice);
}

// The highest load whose TTFT and TPOT meet the targets (a null target is no limit).
// points: [[load, TTFT ms, TPOT ms, tok/s per device, why not clean ("" when clean)], ...], any order.
// Returns null when no measured level meets them, else {load, tput, interpolated, levels: the measured
// point(s) it rests on}. Above the highest level that meets them, when the next level misses, the load is
// read off the straight line between the two where the first limit is crossed ("interpolated").
function highestLoad(points, ttftMax, tpotMax) {
  var pts = points.filter(function (p) { return isFinite(p[0]); }).sort(function (a, b) { return a[0] - b[0]; });
  var limits = [[1, ttftMax], [2, tpotMax]].filter(function (l) { return l[1] !== null && isFinite(l[1]); });
  function meets(p) { return limits.every(function (l) { return p[l[0]] !== null && p[l[0]] <= l[1]; }); }
  var i = -1;
  pts.forEach(function (p, k) { if (meets(p)) i = k; });
  if (i < 0) return null;
  var a = pts[i], b = pts[i + 1];
  var share = 1; // how far from a to b the first limit is crossed
  if (b) {
    limits.forEach(function (l) {
      var va = a[l[0]], vb = b[l[0]];
      if (vb !== null && vb > l[1] && vb > va) share = Math.min(share, (l[1] - va) / (vb - va));
    });
  }
  if (!b || share >= 1 || share <= 0) return { load: a[0], tput: a[3], interpolated: false, levels: [a] };
  var tput = a[3] !== null && b[3] !== null ? a[3] + (b[3] - a[3]) * share : null;
  return { load: a[0] + (b[0] - a[0]) * share, tput: tput, interpolated: true, levels: [a, b] };
}

// Whether any measured level of a configuration meets a TPOT deadline (the deadline slider's filter).
function meetsDeadline(points, tpotMax) {
  return points.some(function (p) { return p[2] !== null && p[2] <= tpotMax; });
}

// J/token as the reader sees it: a measured figure says it is one, a missing one says so (never blank).
function energyText(joules) {
  return joules === null || joules === undefined || !isFinite(joules) ? "not measured" : fmt(joules) + " J, measured (NVML)";
}
