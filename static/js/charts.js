// Draws every plotly figure on a page: <div class="chart" data-figure="ID"> reads the figure JSON
// (the string produced by fig.to_json()) from <script type="application/json" id="ID">.
// Used by the leaderboard, production and experiment pages; plotly.min.js is served from static/.
(function () {
  "use strict";
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll(".chart[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source) { return; }
      var fig = JSON.parse(source.textContent);
      if (typeof fig === "string") { fig = JSON.parse(fig); }
      var tools = window.EvalHubCharts;
      var layout = tools ? tools.fitLayout(fig.layout, el.clientWidth) : fig.layout;
      Plotly.newPlot(el, fig.data, layout, { responsive: true, displaylogo: false });
      if (tools) { tools.enhance(el, fig); tools.track(el, fig); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
