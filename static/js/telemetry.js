// Production dashboard: the period and experiment selectors apply on change (charts: charts.js).
(function () {
  "use strict";
  document.querySelectorAll("form.filters select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
