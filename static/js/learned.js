// A learned tag's page: poll its training and show the progress; reload when it has learned (or failed).
(function () {
  "use strict";
  const state = document.querySelector('.learned-state[data-state="training"]');
  if (!state) return;
  const bar = state.querySelector("progress");
  const label = state.querySelector(".learned-progress");
  function poll() {
    fetch(state.dataset.apiUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then(function (data) {
        if (data.state !== "training") {
          window.location.reload();
          return;
        }
        const percent = Math.round(data.progress * 100);
        if (bar) bar.value = percent;
        if (label) label.textContent = percent + "%";
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
