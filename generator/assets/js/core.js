/* core.js: what every view shares. Data loading (inline JSON payloads, cached data files, plotly.js on
 * demand), DOM and text helpers, the page address as state, and VIEWS, where each view module registers
 * the function that renders its `data-ib` kind (main.js dispatches on it). Run strings only ever reach the
 * DOM through textContent (never innerHTML), and reach Plotly entity-escaped (Plotly reads some HTML in text).
 * The modules share one closure: generator/jsbundle.py joins them into assets/ib/inferboard.js. */

var SCRIPT_URL = document.currentScript ? document.currentScript.src : "";
// The joined bundle lives at <site root>/assets/ib/inferboard.js.
var ROOT = SCRIPT_URL ? new URL("../../", SCRIPT_URL).href : new URL("./", location.href).href;
var plotlyPromise = null;

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

// The price per device-hour in $ (leaderboard and charts): from the address when it names one, else the box.
function readPrice(input, p) {
  var fromUrl = parseFloat(p.get("price"));
  if (isFinite(fromUrl) && fromUrl >= 0) input.value = String(fromUrl);
  var v = parseFloat(input.value);
  return isFinite(v) && v >= 0 ? v : 0;
}

// Long labels and ids shortened in one place: at most `max` characters shown (40 unless given), the full
// text in the title (hover) when cut.
function shortEl(tag, text, max, cls) {
  var full = String(text), n = max || 40;
  var node = el(tag, full.length > n ? full.slice(0, n - 1) + "…" : full, cls);
  if (full.length > n) node.title = full;
  return node;
}

// data-ib kind -> function (root) returning a promise; filled by the view modules, read by main.js.
var VIEWS = {};
