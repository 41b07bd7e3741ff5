/* main.js (joined last): finds the views on the page and renders each once. Material's instant navigation
 * swaps page content without reloading scripts, so rendering also hangs off Material's document$
 * observable (it fires on the first load and after every navigation). */

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
      var view = Object.prototype.hasOwnProperty.call(VIEWS, kind) ? VIEWS[kind] : null;
      var done = view ? view(root) : null;
      if (done) done.catch(fail);
    } catch (err) { fail(err); }
  });
  initFigureBoxes(content);
}

// Render now (document$ never fires where instant navigation cannot start, e.g. from file://), and
// again after every instant navigation; the data-ib-ready marks keep a view from rendering twice.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
if (window.document$ && typeof window.document$.subscribe === "function") {
  window.document$.subscribe(function () { init(); });
}
