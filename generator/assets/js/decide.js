/* decide.js: the home page's editable interactivity target (data-ib="decide"): re-ranks each section's
 * configurations at the target the reader types, by the same rule as the built verdicts. */

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

VIEWS.decide = initDecide;
