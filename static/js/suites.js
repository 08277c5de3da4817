// Suites pages: live run progress (polls a small JSON endpoint every second) and the plotly chart.
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (box) {
    var active = function (status) { return status === "queued" || status === "running"; };
    var poll = function () {
      fetch(box.dataset.url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p) { return; }
          document.getElementById("run-done").textContent = p.n_done;
          document.getElementById("run-errors").textContent = p.n_errors;
          document.getElementById("run-pending").textContent = p.n_pending_human;
          document.getElementById("run-status").textContent = p.status;
          document.getElementById("run-bar").value = p.n_done;
          if (active(p.status)) { setTimeout(poll, 1000); }
          else if (active(box.dataset.status)) { window.location.reload(); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    if (active(box.dataset.status)) { setTimeout(poll, 1000); }
  }
  var data = document.getElementById("suite-chart-data");
  if (data && window.Plotly) {
    var fig = JSON.parse(JSON.parse(data.textContent));
    var div = document.getElementById("suite-chart");
    var tools = window.EvalHubCharts;
    var layout = tools ? tools.fitLayout(fig.layout, div.clientWidth) : fig.layout;
    window.Plotly.newPlot(div, fig.data, layout, { displaylogo: false, responsive: true });
    if (tools) { tools.enhance(div, fig, "suite-score-vs-cost"); tools.track(div, fig); }
  }
})();
