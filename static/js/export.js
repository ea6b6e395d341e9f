// "Download my data": poll each export still being built and show its progress; reload when one is ready.
(function () {
  "use strict";
  const pending = document.querySelectorAll('.export[data-status="queued"], .export[data-status="running"]');
  pending.forEach(function (item) {
    const bar = item.querySelector("progress");
    const label = item.querySelector(".export-status");
    function poll() {
      fetch(item.dataset.apiUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
        .then(function (data) {
          if (data.status === "ready" || data.status === "failed") {
            window.location.reload();
            return;
          }
          if (bar) bar.value = data.progress;
          if (label) label.textContent = data.progress + "%";
          window.setTimeout(poll, 1500);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  });
})();
