/* runpage.js: the fixed figures of run, configuration and history pages: each `.ib-charts` box carries its
 * figures as an inline payload (data-kind="figures"), drawn as they are (no controls). */

function initFigureBoxes(content) {
  content.querySelectorAll(".ib-charts").forEach(function (box) {
    if (box.getAttribute("data-ib-ready")) return;
    box.setAttribute("data-ib-ready", "1");
    var figs = payload(box, "figures");
    if (figs) renderFigures(box, figs);
  });
}
