// Suggest tag names in the search box as the user types the last word (GET /api/v1/tags/?prefix=).
(function () {
  "use strict";
  const input = document.getElementById("search-q");
  const list = document.getElementById("search-suggestions");
  if (!input || !list || !window.fetch) return;
  let timer = null;
  let latest = "";

  function suggest() {
    const value = input.value;
    const start = value.lastIndexOf(" ") + 1;
    const prefix = value.slice(start).replace(/^[#"]+/, "");
    if (!prefix || prefix === latest) return;
    latest = prefix;
    const url = input.dataset.suggestUrl + "?limit=8&prefix=" + encodeURIComponent(prefix);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((body) => {
        if (prefix !== latest) return; // an older answer arriving late
        // The browser filters options by the whole input, so each option repeats the words before.
        list.replaceChildren(...body.results.map((tag) => {
          const option = document.createElement("option");
          option.value = value.slice(0, start) + tag.name;
          option.label = tag.photo_count + " photo" + (tag.photo_count === 1 ? "" : "s");
          return option;
        }));
      })
      .catch(() => {}); // suggestions are a convenience: the search still works without them
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  });
})();
