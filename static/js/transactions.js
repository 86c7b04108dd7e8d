// «Последние платежи»: picking a date switches the period to a custom range, and a
// preset period clears the dates, so the form never sends both. Works without it too.
(function () {
  "use strict";
  var form = document.getElementById("tx-filter-form");
  if (!form) {
    return;
  }
  var period = form.querySelector("select[name=period]");
  var dates = form.querySelectorAll("input[name=from], input[name=to]");
  dates.forEach(function (input) {
    input.addEventListener("change", function () {
      if (input.value) {
        period.value = "custom";
      }
    });
  });
  period.addEventListener("change", function () {
    if (period.value !== "custom") {
      dates.forEach(function (input) {
        input.value = "";
      });
    }
  });
})();
