// The home feed: like and comment in place, complete @mentions, and load older photos on scroll.
// Without this script every form still posts and the "Older photos" link still pages.
(function () {
  "use strict";
  const feed = document.getElementById("feed");
  if (!feed) return;

  function csrf(form) { return form.querySelector("input[name=csrfmiddlewaretoken]").value; }

  function api(url, method, form, body) {
    const headers = { Accept: "application/json", "X-CSRFToken": csrf(form) };
    if (body) headers["Content-Type"] = "application/json";
    return fetch(url, { method: method, headers: headers, credentials: "same-origin",
      body: body ? JSON.stringify(body) : undefined })
      .then((r) => r.json().then((data) => (r.ok ? data : Promise.reject(data))));
  }

  function like(form) {
    const button = form.querySelector("button");
    const liked = button.getAttribute("aria-pressed") === "true";
    button.disabled = true;
    api(form.dataset.apiUrl, liked ? "DELETE" : "POST", form).then((state) => {
      button.setAttribute("aria-pressed", String(state.liked));
      button.querySelector("use").setAttribute("href", state.liked ? "#i-heart-filled" : "#i-heart");
      button.querySelector("span").textContent = state.liked ? "Unlike" : "Like";
      const count = form.closest(".feed-card").querySelector(".like-count");
      count.textContent = state.like_count + " like" + (state.like_count === 1 ? "" : "s");
    }).catch(() => form.submit()).finally(() => { button.disabled = false; });
  }

  // As the linkify template filter does on the next load: @mentions link to the profile.
  function linked(text) {
    const nodes = [];
    let end = 0;
    for (const match of text.matchAll(/(^|[^\w@.+-])@(\w(?:[\w.+-]*\w)?)/gu)) {
      const at = match.index + match[1].length;
      const link = document.createElement("a");
      link.className = "mention";
      link.href = "/u/" + encodeURIComponent(match[2]) + "/";
      link.textContent = "@" + match[2];
      nodes.push(text.slice(end, at), link);
      end = at + link.textContent.length;
    }
    nodes.push(text.slice(end));
    return nodes;
  }

  function comment(form) {
    const input = form.querySelector("input[name=text]");
    const text = input.value.trim();
    if (!text) return;
    input.disabled = true;
    api(form.dataset.apiUrl, "POST", form, { text: text }).then((c) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      const name = document.createElement("strong");
      link.href = "/u/" + encodeURIComponent(c.author.username) + "/";
      name.textContent = c.author.display_name || c.author.username;
      link.append(name);
      item.append(link, " ", ...linked(c.text));
      form.closest(".feed-card").querySelector(".feed-comments").append(item);
      input.value = "";
    }).catch(() => form.submit()).finally(() => { input.disabled = false; input.focus(); });
  }

  feed.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.classList.contains("like-form")) { event.preventDefault(); like(form); }
    else if (form.classList.contains("comment-form")) { event.preventDefault(); comment(form); }
  });

  // @mention completion: suggest names for the word being typed, insert the one chosen.
  const MENTION = /(^|\s)@([\w.+-]{1,30})$/;
  let pending = 0;
  feed.addEventListener("input", (event) => {
    const input = event.target;
    if (input.name !== "text") return;
    const list = input.form.querySelector(".mention-suggestions");
    const match = MENTION.exec(input.value.slice(0, input.selectionStart));
    if (!match) { list.hidden = true; return; }
    const ticket = ++pending;
    fetch(feed.dataset.mentionUrl + "?q=" + encodeURIComponent(match[2]),
      { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : [])).then((people) => {
        if (ticket !== pending) return;
        list.replaceChildren(...people.map((person) => {
          const option = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.setAttribute("role", "option");
          button.dataset.username = person.username;
          button.textContent = "@" + person.username + (person.display_name ? " · " + person.display_name : "");
          option.append(button);
          return option;
        }));
        list.hidden = people.length === 0;
      });
  });
  feed.addEventListener("click", (event) => {
    const button = event.target.closest(".mention-suggestions button");
    if (!button) return;
    const input = button.form.querySelector("input[name=text]");
    const before = input.value.slice(0, input.selectionStart).replace(/@[\w.+-]*$/, "@" + button.dataset.username + " ");
    input.value = before + input.value.slice(input.selectionStart);
    button.closest(".mention-suggestions").hidden = true;
    input.focus();
    input.setSelectionRange(before.length, before.length);
  });

  // Infinite scroll: when the "Older photos" link comes into view, fetch the next cards in its place.
  function watch() {
    const more = feed.querySelector("[data-feed-more]");
    if (!more || !("IntersectionObserver" in window)) return;
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      const url = new URL(more.href, location.href);
      url.searchParams.set("fragment", "1");
      fetch(url, { credentials: "same-origin" }).then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
        .then((html) => {
          const page = document.createRange().createContextualFragment(html);
          more.closest("nav").replaceWith(page);
          watch();
        }).catch(() => { location.href = more.href; });
    }, { rootMargin: "600px" });
    observer.observe(more);
  }
  watch();
})();
