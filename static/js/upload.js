// The upload page: a preview of the chosen image, the server's type, size and pixel limits
// checked before sending (read from the form's data attributes), a progress bar while the file
// travels, then the photo page with its live status. Without JavaScript the form posts as usual.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData || !window.URL) return;
  const input = form.querySelector('input[type="file"]');
  const button = form.querySelector('button[type="submit"]');
  const preview = document.getElementById("upload-preview");
  const progress = document.getElementById("upload-progress");
  const progressText = document.getElementById("upload-progress-text");
  const problem = document.getElementById("upload-problem");
  const maxBytes = Number(form.dataset.maxBytes);
  const maxPixels = Number(form.dataset.maxPixels);
  const types = form.dataset.accept.split(",");
  const accepted = form.dataset.acceptedText;
  let previewUrl = null;
  let pixelProblem = "";

  function say(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1).replace(/\.0$/, "") + " MB";
  }

  function fileProblem(file) {
    if (!file) return "Attach an image. " + accepted;
    if (!types.includes(file.type)) return "Unsupported file type: " + (file.type || "unknown") + ". " + accepted;
    if (file.size > maxBytes) {
      return "The file is " + megabytes(file.size) + "; the limit is " + megabytes(maxBytes) + ". Upload a smaller image.";
    }
    return "";
  }

  input.addEventListener("change", () => {
    const file = input.files[0];
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    pixelProblem = "";
    preview.hidden = true;
    const text = file ? fileProblem(file) : "";
    say(text);
    if (!file || text) return;
    previewUrl = URL.createObjectURL(file);
    preview.src = previewUrl;
  });

  preview.addEventListener("load", () => {
    const pixels = preview.naturalWidth * preview.naturalHeight;
    if (pixels > maxPixels) {
      pixelProblem = "The image is " + preview.naturalWidth + "x" + preview.naturalHeight + " pixels; the limit is " +
        (maxPixels / 1e6).toPrecision(3).replace(/\.?0+$/, "") + " megapixels. Upload a smaller image.";
      say(pixelProblem);
      return;
    }
    preview.hidden = false;
  });

  function finished() {
    button.disabled = false;
    progress.hidden = true;
    progressText.textContent = "";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = fileProblem(input.files[0]) || pixelProblem;
    if (text) {
      say(text);
      return;
    }
    say("");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      progress.max = e.total;
      progress.value = e.loaded;
      progressText.textContent = Math.floor((e.loaded / e.total) * 100) + "%";
    });
    xhr.addEventListener("load", () => {
      // Accepted: the server redirects to the photo page, which the request followed.
      if (xhr.status === 200 && xhr.responseURL && new URL(xhr.responseURL).pathname !== new URL(form.action).pathname) {
        window.location.assign(xhr.responseURL);
        return;
      }
      // Refused: show the server's own words (the page it answered with holds them).
      const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const errors = Array.from(page.querySelectorAll("#upload-form .error, main .error")).map((e) => e.textContent);
      say(errors.join(" ") || "The upload failed (HTTP " + xhr.status + "). Try again.");
      finished();
    });
    xhr.addEventListener("error", () => {
      say("The connection was lost before the upload finished. Try again.");
      finished();
    });
    button.disabled = true;
    progress.value = 0;
    progress.hidden = false;
    progressText.textContent = "0%";
    xhr.send(new FormData(form));
  });
})();
