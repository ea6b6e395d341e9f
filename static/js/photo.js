// The photo page: poll the API while the worker tags the photo and show the tags in place;
// on request, ask a worker to draw where the network found each tag and show the picture.
(function () {
  "use strict";
  const article = document.getElementById("photo");
  if (!article) return;
  const statusEl = document.getElementById("tag-status");
  const listEl = document.getElementById("tag-list");

  function pct(x) { return Math.round(x * 100) + "%"; }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fetchPhoto() {
    return fetch(article.dataset.apiUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)));
  }

  function explanationFigure(tag) {
    const figure = el("figure", { class: "explanation" });
    if (tag.explanation) {
      figure.append(el("img", { src: tag.explanation, width: "336",
        alt: "Heat map of where the network found " + tag.name }));
      figure.append(el("figcaption", {}, "Bright areas: where the network found " + tag.name +
        ", in the part of the photo that earned the tag."));
    } else {
      figure.append(el("button", { type: "button", class: "explain", "data-tag": tag.name },
        "Show where the network looked"));
    }
    return figure;
  }

  // The owner's Confirm and Remove forms, as the server renders them (templates/photos/corrections/):
  // plain posts to the URLs beside the "Add a tag" form's, which is on the page only for the owner.
  function correctionForm(addForm, action, label, className, ariaLabel) {
    const form = el("form", { method: "post", action: action, class: "inline tag-correct" });
    const token = addForm.querySelector("input[name=csrfmiddlewaretoken]");
    form.append(el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: token ? token.value : "" }));
    form.append(el("button", { type: "submit", class: className, "aria-label": ariaLabel }, label));
    return form;
  }

  function appendCorrections(li, tag) {
    const addForm = document.getElementById("tag-add-form");
    if (!addForm) return;
    const base = addForm.getAttribute("action") + encodeURIComponent(tag.name) + "/";
    if (tag.source === "auto") {
      li.append(correctionForm(addForm, base + "confirm/", "Confirm", "link", "Confirm the tag " + tag.name));
    }
    if (tag.source !== "hashtag") {
      li.append(correctionForm(addForm, base + "remove/", "Remove", "link danger", "Remove the tag " + tag.name));
    }
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
        details.append(explanationFigure(tag));
        li.append(details);
      } else {
        li.append(el("span", { class: "source" }, tag.source));
      }
      appendCorrections(li, tag);
      listEl.append(li);
    });
    statusEl.className = "status status-" + photo.status;
    statusEl.textContent = photo.status === "failed"
      ? "Processing failed: " + (photo.status_reason || "unknown error")
      : photo.tags.some((t) => t.source === "auto" || t.source === "confirmed")
        ? "Tagged automatically by the CNN"
        : "The CNN looked and found nothing it has a tag for";
    article.dataset.status = photo.status;
    showImage(photo);
    // A failed photo offers its owner a retry: the server renders that form, so reload once.
    if (photo.status === "failed" && !document.getElementById("retry-form")) window.location.reload();
  }

  // The placeholder of a photo still being prepared gives way to its display copy once made.
  function showImage(photo) {
    const placeholder = document.getElementById("photo-placeholder");
    if (!placeholder || !photo.image) return;
    const attrs = { src: photo.image, width: String(photo.width), height: String(photo.height),
      alt: photo.alt_text || "Photo by " + (photo.owner.display_name || photo.owner.username) };
    if (photo.alt_text && photo.alt_text_source === "auto") attrs["data-alt-source"] = "auto";
    placeholder.replaceWith(el("img", attrs));
    showAltText(photo);
  }

  // The owner is shown the worker's draft as a suggestion to accept or edit.
  function showAltText(photo) {
    const section = document.getElementById("alt-text");
    if (!section || !photo.alt_text) return;
    document.getElementById("alt-text-value").textContent = photo.alt_text;
    const auto = photo.alt_text_source === "auto";
    document.getElementById("alt-text-auto-badge").hidden = !auto;
    document.getElementById("alt-text-suggestion").hidden = !auto;
    section.hidden = false;
  }

  // Poll with backoff until ready(photo) is true, then call done(photo).
  function pollUntil(ready, done) {
    let delay = 1000;
    function poll() {
      fetchPhoto()
        .then((photo) => {
          if (ready(photo)) { done(photo); return; }
          delay = Math.min(delay * 1.5, 10000);
          setTimeout(poll, delay);
        })
        .catch(() => setTimeout(poll, 10000));
    }
    setTimeout(poll, delay);
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  listEl.addEventListener("click", (event) => {
    const button = event.target.closest("button.explain");
    if (!button) return;
    const name = button.dataset.tag;
    button.disabled = true;
    button.textContent = "Working out where the network looked…";
    fetch(article.dataset.explainUrl, {
      method: "POST", credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then(() => pollUntil(
        (photo) => photo.tags.some((t) => t.name === name && t.source === "auto" && t.explanation),
        (photo) => {
          const tag = photo.tags.find((t) => t.name === name && t.source === "auto");
          button.closest("figure").replaceWith(explanationFigure(tag));
        },
      ))
      .catch(() => { button.disabled = false; button.textContent = "Could not explain this tag. Try again"; });
  });

  if (article.dataset.status === "processing") {
    pollUntil((photo) => photo.status !== "processing", render);
  }
})();
