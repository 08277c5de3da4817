// Shared by every page that draws plotly figures: fit the layout to the chart's width (titles wrap
// instead of being clipped on a phone), give each chart a text alternative (role="img" and an
// aria-label summarising it, unless the page wrote one) and a link that downloads the chart's data
// as CSV. Loaded by base.html before the pages' own chart scripts.
(function () {
  "use strict";

  var CHAR_PX = 8; // average width of a title character at plotly's default title size

  function titleText(layout) {
    var title = layout && layout.title;
    if (!title) { return ""; }
    return String(typeof title === "string" ? title : title.text || "");
  }

  function wrap(text, maxChars) {
    var words = text.replace(/<br\s*\/?>/gi, " ").split(/\s+/).filter(Boolean);
    var lines = [];
    var line = "";
    words.forEach(function (word) {
      if (line && (line + " " + word).length > maxChars) { lines.push(line); line = word; } else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  // A copy of the layout for a chart `width` px wide: autosized, title wrapped to fit, top margin
  // grown to hold the wrapped lines.
  function fitLayout(layout, width) {
    var out = Object.assign({}, layout || {});
    delete out.width;
    out.autosize = true;
    if (width && width < 500 && out.annotations) {
      // Point callouts (arrows to a marker) crowd a phone-sized plot like the point labels do.
      out.annotations = out.annotations.filter(function (a) { return !a.showarrow; });
    }
    var text = titleText(out);
    if (text && width) {
      var lines = wrap(text, Math.max(12, Math.floor((width - 40) / CHAR_PX)));
      var title = typeof out.title === "string" ? { text: out.title } : Object.assign({}, out.title);
      title.text = lines.join("<br>");
      out.title = title;
      var margin = Object.assign({ t: 50 }, out.margin || {});
      margin.t = Math.max(margin.t || 0, 28 + 22 * lines.length);
      if (width < 500) { margin.l = Math.min(margin.l === undefined ? 60 : margin.l, 50); margin.r = Math.min(margin.r === undefined ? 20 : margin.r, 10); }
      out.margin = margin;
    }
    return out;
  }

  // On a phone, point labels printed beside markers overlap one another and run off the plot: draw the markers
  // alone (each label moves into its hover text; the table under the chart names every point).
  function fitData(data, width) {
    if (!width || width >= 500) { return data; }
    return (data || []).map(function (trace) {
      var mode = typeof trace.mode === "string" ? trace.mode : "";
      if (mode.indexOf("text") < 0) { return trace; }
      var fitted = Object.assign({}, trace);
      var kept = mode.split("+").filter(function (part) { return part !== "text"; });
      if (!kept.length) { fitted.visible = false; return fitted; }
      fitted.mode = kept.join("+");
      if (!fitted.hovertext && fitted.text) { fitted.hovertext = fitted.text; }
      return fitted;
    });
  }

  function traceSummary(trace) {
    var name = trace.name ? "“" + trace.name + "”" : "a series";
    if (trace.z) { return "a heatmap of " + trace.z.length + " rows"; }
    var n = (trace.x || trace.y || []).length;
    return name + " with " + n + " point" + (n === 1 ? "" : "s");
  }

  function summary(fig) {
    var title = titleText(fig.layout).replace(/<br\s*\/?>/gi, " ").replace(/<[^>]*>/g, "");
    var traces = (fig.data || []).map(traceSummary);
    return "Chart" + (title ? ": " + title : "") + (traces.length ? ". Shows " + traces.join("; ") + "." : ".") +
      " Its data can be downloaded as CSV below it.";
  }

  function cell(value) {
    if (value === null || value === undefined) { return ""; }
    var text = Array.isArray(value) ? value.join(" ") : String(value);
    // No spreadsheet may run a text cell as a formula (numbers, negative ones too, stay numbers).
    if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) { text = "'" + text; }
    if (/[",\n\r]/.test(text)) { text = '"' + text.replace(/"/g, '""') + '"'; }
    return text;
  }

  function errors(err, i) {
    if (!err || !err.array) { return ["", ""]; }
    var plus = err.array[i];
    var minus = err.arrayminus ? err.arrayminus[i] : plus;
    return [minus, plus];
  }

  // The figure's data as CSV: one row per point (series, x, y, label, error bars), or per heatmap cell.
  function toCsv(fig) {
    var rows = [["series", "x", "y", "label", "y_minus", "y_plus", "x_minus", "x_plus", "value"]];
    (fig.data || []).forEach(function (trace, t) {
      var name = trace.name || "series " + (t + 1);
      if (trace.z) {
        trace.z.forEach(function (row, i) {
          (row || []).forEach(function (value, j) {
            rows.push([name, trace.x ? trace.x[j] : j, trace.y ? trace.y[i] : i, "", "", "", "", "", value]);
          });
        });
        return;
      }
      var n = Math.max((trace.x || []).length, (trace.y || []).length);
      for (var i = 0; i < n; i++) {
        var ey = errors(trace.error_y, i);
        var ex = errors(trace.error_x, i);
        var label = Array.isArray(trace.text) ? trace.text[i] : (trace.text || "");
        rows.push([name, trace.x ? trace.x[i] : "", trace.y ? trace.y[i] : "", label, ey[0], ey[1], ex[0], ex[1], ""]);
      }
    });
    return rows.map(function (row) { return row.map(cell).join(","); }).join("\r\n") + "\r\n";
  }

  function download(fig, filename) {
    var blob = new Blob([toCsv(fig)], { type: "text/csv;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  // Text alternative and data download for a drawn chart.
  function enhance(div, fig, name) {
    if (!div.getAttribute("role")) { div.setAttribute("role", "img"); }
    if (!div.getAttribute("aria-label") && !div.getAttribute("aria-labelledby")) {
      div.setAttribute("aria-label", summary(fig));
    }
    var key = div.dataset.figure || div.id;
    var filename = (name || key || "chart") + ".csv";
    var link = key ? document.querySelector('a.chart-download[data-figure="' + key + '"]') : null;
    if (!link) {
      link = document.createElement("a");
      link.className = "chart-download no-print";
      link.href = "#";
      link.textContent = "Download the chart's data (CSV)";
      if (key) { link.dataset.figure = key; }
      var p = document.createElement("p");
      p.className = "chart-download-line";
      p.appendChild(link);
      div.insertAdjacentElement("afterend", p);
    }
    filename = link.dataset.filename || filename;
    link.addEventListener("click", function (event) { event.preventDefault(); download(fig, filename); });
  }

  // Re-wrap titles when the window (a phone turned sideways) changes width.
  var drawn = [];
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      if (typeof Plotly === "undefined") { return; }
      drawn.forEach(function (item) {
        var layout = fitLayout(item.fig.layout, item.div.clientWidth);
        Plotly.relayout(item.div, { title: layout.title, margin: layout.margin });
      });
    }, 200);
  });

  function track(div, fig) { drawn.push({ div: div, fig: fig }); }

  window.EvalHubCharts = { fitLayout: fitLayout, fitData: fitData, enhance: enhance, toCsv: toCsv, summary: summary, track: track };
})();
