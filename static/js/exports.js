/*
 * Export progress: a page of a queued or running export asks its JSON status every
 * couple of seconds, moves the progress bar and shows the download link when the file is
 * ready. Without JavaScript the page shows the state it was rendered with, and a reload
 * (or the emailed link) shows the rest.
 */
(function () {
  "use strict";

  var INTERVAL = 1500;
  var card = document.querySelector("[data-export-status-url]");
  if (!card) {
    return;
  }
  var bar = card.querySelector("[data-export-bar]");
  var rows = card.querySelector("[data-export-rows]");
  var label = card.querySelector("[data-export-label]");
  var ready = card.querySelector("[data-export-ready]");
  var note = card.querySelector("[data-export-note]");

  function setPercent(percent) {
    if (bar) {
      bar.value = percent;
      bar.textContent = percent + "%";
    }
  }

  function rowsText(done, total) {
    return (card.getAttribute("data-rows-text") || "%(done)s / %(total)s")
      .replace("%(done)s", done.toLocaleString())
      .replace("%(total)s", total.toLocaleString());
  }

  function show(state) {
    setPercent(state.percent);
    if (rows && state.rows_total !== null) {
      rows.textContent = rowsText(state.rows_done, state.rows_total);
    }
    if (state.status === "done" && state.download_url) {
      if (label) {
        label.textContent = card.getAttribute("data-done-text") || state.status_label;
      }
      if (ready) {
        ready.hidden = false;
      }
      if (note) {
        note.hidden = true;
      }
      return true;
    }
    if (state.status === "failed" || state.expired) {
      // The server renders these states with their explanation.
      window.location.reload();
      return true;
    }
    return false;
  }

  function poll() {
    fetch(card.getAttribute("data-export-status-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (state) {
        if (!show(state)) {
          window.setTimeout(poll, INTERVAL);
        }
      })
      .catch(function () {
        // A network hiccup or a deploy: try again a little later.
        window.setTimeout(poll, INTERVAL * 4);
      });
  }

  var initial = card.getAttribute("data-export-state");
  if (initial === "queued" || initial === "running") {
    window.setTimeout(poll, INTERVAL);
  }
})();
