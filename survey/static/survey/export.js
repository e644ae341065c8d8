// The export job page: poll the job's JSON each second and update the progress bar,
// the counts, and at the end the download link or the error. No inline script or
// style, so the strict CSP holds; without JavaScript the page offers a refresh link.
(function () {
  "use strict";
  var region = document.getElementById("export-state");
  if (!region || !region.dataset.poll) return;
  var url = region.dataset.poll;
  var bar = document.getElementById("export-progress");

  function show(state) {
    bar.value = state.percent;
    bar.textContent = state.percent + " %";
    region.querySelectorAll("[data-field]").forEach(function (el) {
      var key = el.dataset.field;
      el.textContent = key === "percent" ? state.percent + " %" : (state[key] == null ? "" : state[key]);
    });
    var link = region.querySelector("[data-field-href=download]");
    if (state.download) link.href = state.download;
    region.querySelector("[data-show=download]").hidden = !state.download;
    region.querySelector("[data-show=error]").hidden = !state.error;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (reply) { return reply.ok ? reply.json() : null; })
      .then(function (state) {
        if (!state) return;
        show(state);
        if (!state.finished) window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
