// Production dashboard: draws each plotly figure (<div class="chart" data-figure="ID"> reads the
// JSON string of fig.to_json() from <script type="application/json" id="ID">) and submits the
// period selector on change.
(function () {
  "use strict";
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll(".chart[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source) { return; }
      var fig = JSON.parse(source.textContent);
      if (typeof fig === "string") { fig = JSON.parse(fig); }
      Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false });
    });
    document.querySelectorAll("form.filters select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
