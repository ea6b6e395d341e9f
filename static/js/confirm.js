// Ask before a form that cannot be undone is sent: <form data-confirm="Delete this photo?">.
// A listener in a file rather than an onsubmit attribute, which the Content-Security-Policy forbids.
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
})();
