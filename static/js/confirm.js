// Ask before a form that cannot be undone is sent: <form data-confirm="Delete this photo?">.
// A listener in a file rather than an onsubmit attribute, which the Content-Security-Policy forbids.
// With data-confirmed-field="confirmed" the answer is sent as that field, so that the server, which
// shows its own confirmation page when the field is missing (no JavaScript), does not ask again.
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (!form) return;
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    const field = form.dataset.confirmedField;
    if (field && !form.elements[field]) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = field;
      input.value = "1";
      form.appendChild(input);
    }
  });
})();
