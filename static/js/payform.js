/*
 * The hosted payment form: a live countdown to the payment's expiry, card number and
 * expiry formatting as the buyer types, and one submit per click. The form works
 * without it: the server renders the time left and validates whatever is typed.
 */
(function () {
  "use strict";

  function pad(value) {
    return value < 10 ? "0" + value : String(value);
  }

  function clock(seconds) {
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    return hours ? hours + ":" + pad(minutes) + ":" + pad(rest) : minutes + ":" + pad(rest);
  }

  // Counted from the server's "seconds left", so a wrong clock on the phone does not matter.
  function countdown(timer) {
    var value = timer.querySelector("[data-countdown-value]");
    var remaining = parseInt(timer.getAttribute("data-remaining"), 10);
    if (!value || isNaN(remaining)) {
      return;
    }
    var deadline = Date.now() + remaining * 1000;
    var interval = window.setInterval(function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      value.textContent = clock(left);
      timer.classList.toggle("is-urgent", left < 60);
      if (left === 0) {
        window.clearInterval(interval);
        timer.textContent = timer.getAttribute("data-expired-text");
        timer.classList.add("is-expired");
        document.querySelectorAll("[data-pay-button]").forEach(function (button) {
          button.disabled = true;
        });
        // The server expires the payment on the next read and shows its state.
        window.setTimeout(function () {
          window.location.reload();
        }, 1500);
      }
    }, 1000);
  }

  function digits(value) {
    return value.replace(/\D/g, "");
  }

  function formatNumber(input) {
    var atEnd = input.selectionStart === input.value.length;
    var grouped = digits(input.value).slice(0, 19).replace(/(\d{4})(?=\d)/g, "$1 ");
    if (grouped !== input.value) {
      input.value = grouped;
      if (atEnd) {
        input.setSelectionRange(grouped.length, grouped.length);
      }
    }
  }

  function formatExpiry(input, event) {
    var raw = digits(input.value).slice(0, 4);
    var deleting = event && event.inputType && event.inputType.indexOf("delete") === 0;
    if (raw.length === 1 && raw > "1") {
      raw = "0" + raw;
    }
    var value = raw.length >= 2 && !(deleting && raw.length === 2) ? raw.slice(0, 2) + "/" + raw.slice(2) : raw;
    if (value !== input.value) {
      input.value = value;
    }
  }

  document.querySelectorAll("[data-countdown]").forEach(countdown);

  document.querySelectorAll("[data-card-number]").forEach(function (input) {
    input.addEventListener("input", function () {
      formatNumber(input);
    });
  });

  document.querySelectorAll("[data-card-expiry]").forEach(function (input) {
    input.addEventListener("input", function (event) {
      formatExpiry(input, event);
    });
  });

  // A second click while the first submit travels would only meet the finished payment.
  document.querySelectorAll("form[data-payform]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitting")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "1");
      form.setAttribute("aria-busy", "true");
    });
  });
})();
