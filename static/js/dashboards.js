// Leadership pages: draw every plotly figure embedded as JSON and wire the PNG/SVG download buttons.
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function draw(div) {
    var fig = readJson(div.dataset.figure);
    if (!fig || typeof Plotly === "undefined") return;
    var config = Object.assign({ responsive: true }, readJson(div.dataset.config) || {});
    var tools = window.EvalHubCharts;
    var layout = tools ? tools.fitLayout(fig.layout || {}, div.clientWidth) : fig.layout || {};
    var data = tools && tools.fitData ? tools.fitData(fig.data || [], div.clientWidth) : fig.data || [];
    Plotly.newPlot(div, data, layout, config);
    if (tools) { tools.enhance(div, fig, "evalhub-" + div.id); tools.track(div, fig); }
  }

  function download(button) {
    var div = document.getElementById(button.dataset.download);
    if (!div || typeof Plotly === "undefined") return;
    var config = readJson(div.dataset.config) || {};
    var opts = Object.assign({}, config.toImageButtonOptions || {});
    opts.format = button.dataset.format || "png";
    opts.filename = (opts.filename || "evalhub-chart") + "-" + div.id;
    Plotly.downloadImage(div, opts);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-figure]").forEach(draw);
    document.querySelectorAll("button[data-download]").forEach(function (button) {
      button.addEventListener("click", function () { download(button); });
    });
  });
})();
