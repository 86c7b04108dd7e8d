/*
 * Copy buttons: <button data-copy-target="field-id" data-copied="Copied" hidden>.
 * Without JavaScript the buttons stay hidden and the read-only field can still be
 * selected and copied by hand. A [data-copy-status] live region announces the copy.
 */
(function () {
  "use strict";

  function copied(button) {
    var label = button.querySelector("[data-copy-label]");
    var status = document.querySelector("[data-copy-status]");
    var text = button.getAttribute("data-copied") || "";
    if (label) {
      var original = label.getAttribute("data-original") || label.textContent;
      label.setAttribute("data-original", original);
      label.textContent = text;
      button.classList.add("is-copied");
      window.setTimeout(function () {
        label.textContent = original;
        button.classList.remove("is-copied");
      }, 2000);
    }
    if (status) {
      status.textContent = status.getAttribute("data-copied-text") || text;
    }
  }

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false;
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) {
      return;
    }
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      // On failure the text stays selected, ready for Ctrl+C.
      navigator.clipboard.writeText(field.value).then(function () { copied(button); }, function () {});
    } else if (document.execCommand("copy")) {
      copied(button);
    }
  });
})();
