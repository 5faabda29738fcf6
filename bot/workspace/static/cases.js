/* The caseworker inbox without reloading (issue 15): every element with data-poll gets its
   content again from that address every 10 seconds, while the tab is visible. Saved-reply
   buttons (data-fill) fill the answer box instead of reloading the page. Without this file
   the pages still work: "Refresh" links and ?reply= links. */
(function () {
  "use strict";
  var EVERY_MS = 10000;

  function poll(box) {
    var url = box.getAttribute("data-poll");
    var timer = window.setInterval(function () {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          // Signed out (redirected to the login page) or refused: stop asking.
          if (!response.ok || response.redirected) { window.clearInterval(timer); return null; }
          return response.text();
        })
        .then(function (html) {
          if (html !== null && html !== box.innerHTML) { box.innerHTML = html; }
        })
        .catch(function () { /* offline for a moment: the next tick tries again */ });
    }, EVERY_MS);
  }

  function fill(link) {
    link.addEventListener("click", function (event) {
      var box = document.getElementById("reply-text");
      if (!box) { return; }
      event.preventDefault();
      box.value = link.getAttribute("data-fill");
      box.focus();
    });
  }

  document.querySelectorAll("[data-poll]").forEach(poll);
  document.querySelectorAll("[data-fill]").forEach(fill);
})();
