/*
 * Document uploads: each card's [data-doc-drop] zone also accepts files dragged onto it.
 * Dropped files go into the zone's own <input type="file">, so the form submits them as
 * if they were chosen; the chosen names are listed under the field. Without JavaScript
 * the plain file input works and the drag hint stays hidden.
 */
(function () {
  "use strict";

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return Boolean(types) && Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  function megabytes(size) {
    return (size / 1024 / 1024).toFixed(1) + " MB";
  }

  // File names come from the user's disk: only ever set as text, never as HTML.
  function showChosen(zone, input, chosen) {
    var files = input.files ? Array.prototype.slice.call(input.files) : [];
    var limit = parseInt(zone.getAttribute("data-max-files"), 10) || 0;
    chosen.textContent = "";
    if (!files.length) {
      return;
    }
    var label = document.createElement("p");
    label.className = "doc-chosen-label";
    label.textContent = zone.getAttribute(files.length === 1 ? "data-chosen-one" : "data-chosen-many");
    chosen.appendChild(label);
    var list = document.createElement("ul");
    list.className = "doc-chosen-list";
    files.forEach(function (file) {
      var item = document.createElement("li");
      var name = document.createElement("span");
      name.className = "doc-chosen-name";
      name.textContent = file.name;
      var size = document.createElement("span");
      size.className = "doc-chosen-size";
      size.textContent = megabytes(file.size);
      item.appendChild(name);
      item.appendChild(size);
      list.appendChild(item);
    });
    chosen.appendChild(list);
    if (limit && files.length > limit) {
      var warning = document.createElement("p");
      warning.className = "doc-chosen-warning";
      warning.textContent = zone.getAttribute("data-too-many");
      chosen.appendChild(warning);
    }
  }

  document.querySelectorAll("[data-doc-drop]").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    var chosen = zone.querySelector("[data-doc-chosen]");
    if (!input || !chosen) {
      return;
    }
    zone.classList.add("is-enhanced");
    zone.querySelectorAll("[data-doc-drop-hint]").forEach(function (hint) {
      hint.hidden = false;
    });

    input.addEventListener("change", function () {
      showChosen(zone, input, chosen);
    });

    function over(event) {
      if (!hasFiles(event)) {
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("is-dragover");
    }

    zone.addEventListener("dragenter", over);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", function (event) {
      if (!zone.contains(event.relatedTarget)) {
        zone.classList.remove("is-dragover");
      }
    });
    zone.addEventListener("drop", function (event) {
      zone.classList.remove("is-dragover");
      if (!event.dataTransfer || !event.dataTransfer.files.length) {
        return;
      }
      event.preventDefault();
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      input.focus();
    });

    // A browser that shows the names itself keeps them after a reload; list them too.
    showChosen(zone, input, chosen);
  });

  // A file dropped beside a zone would make the browser open it and leave the page.
  ["dragover", "drop"].forEach(function (type) {
    window.addEventListener(type, function (event) {
      var target = event.target;
      if (hasFiles(event) && !(target.closest && target.closest("[data-doc-drop]"))) {
        event.preventDefault();
        if (type === "dragover") {
          event.dataTransfer.dropEffect = "none";
        }
      }
    });
  });
})();
