// Poll the photo's API while the recognition worker is tagging it, then show the tags in place.
(function () {
  "use strict";
  const article = document.getElementById("photo");
  if (!article || article.dataset.status !== "pending") return;
  const statusEl = document.getElementById("tag-status");
  const listEl = document.getElementById("tag-list");
  let delay = 1000;

  function pct(x) { return Math.round(x * 100) + "%"; }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(photo) {
    listEl.replaceChildren();
    photo.tags.forEach((tag) => {
      const li = el("li", { class: "tag " + tag.source });
      li.append(el("a", { class: "chip " + tag.source, href: "/tags/" + encodeURIComponent(tag.name) + "/" }, tag.name));
      if (tag.source === "auto") {
        li.append(el("meter", { min: "0", max: "1", value: String(tag.confidence) }, pct(tag.confidence)));
        li.append(el("span", { class: "confidence" }, " " + pct(tag.confidence)));
        const details = el("details");
        details.append(el("summary", {}, "Why?"));
        const why = tag.classes.map((c) => c.name + " (" + pct(c.score) + ")").join(", ");
        const cats = tag.categories.length ? " (" + tag.categories.join(", ") + ")" : "";
        details.append(el("p", {}, "The network saw " + why + "; mapped to " + tag.name + cats + "."));
        details.append(el("p", {}, "Model " + tag.model_version + ", taxonomy " + tag.taxonomy_version + "."));
        li.append(details);
      } else {
        li.append(el("span", { class: "source" }, tag.source));
      }
      listEl.append(li);
    });
    statusEl.className = "status status-" + photo.status;
    statusEl.textContent = photo.status === "failed"
      ? "Automatic tagging failed: " + (photo.status_reason || "unknown error")
      : "Tagged automatically by the CNN";
    article.dataset.status = photo.status;
  }

  function poll() {
    fetch(article.dataset.apiUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((photo) => {
        if (photo.status === "pending") {
          delay = Math.min(delay * 1.5, 10000);
          setTimeout(poll, delay);
        } else {
          render(photo);
        }
      })
      .catch(() => setTimeout(poll, 10000));
  }
  setTimeout(poll, delay);
})();
