/* The editor's live preview (issue 14): progressive enhancement only.
   Without JavaScript the "Preview" button re-renders the page with the same preview. With it,
   the form's fields (its CSRF token among them) are posted to the preview URL 400 ms after the
   last keystroke, and the server's HTML fragment replaces the preview: the counts and the
   messages come from the channels' own code, never from a copy of their rules here. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  var target = document.getElementById("preview-body");
  if (!form || !target || !window.fetch || !window.FormData) {
    return;
  }
  var timer = null;
  var pending = null;
  var asked = 0;

  function refresh() {
    var mine = ++asked;
    if (pending && pending.abort) {
      pending.abort();
    }
    pending = window.AbortController ? new AbortController() : null;
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      signal: pending ? pending.signal : undefined
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("preview " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (mine === asked) {
          target.innerHTML = html; /* built and escaped by the server */
        }
      })
      .catch(function () {
        /* Offline or signed out: the Preview button still works. */
      });
  }

  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
})();
