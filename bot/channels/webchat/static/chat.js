// Progressive enhancement: without this file the chat works through plain form posts.
// With it, messages are sent with fetch and the replies appended, keeping the history on screen.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var composer = document.getElementById("composer");
  var input = document.getElementById("text");
  if (!window.fetch || !log || !composer) { return; }

  function bubble(cls) {
    var div = document.createElement("div");
    div.className = "msg " + cls;
    log.appendChild(div);
    return div;
  }

  function quickReply(button) {
    var form = document.createElement("form");
    form.className = "quick";
    var b = document.createElement("button");
    b.type = "submit";
    b.textContent = button.title;
    form.appendChild(b);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(button.payload, button.title);
    });
    return form;
  }

  function showReply(message, cls) {
    var div = bubble(cls || "bot");
    div.innerHTML = message.html; // server-rendered from escaped text only
    if (message.buttons && message.buttons.length) {
      var row = document.createElement("div");
      row.className = "buttons";
      message.buttons.forEach(function (button) { row.appendChild(quickReply(button)); });
      div.appendChild(row);
    }
  }

  function send(text, shown) {
    if (!text.trim()) { return; }
    bubble("me").textContent = shown || text;
    window.scrollTo(0, document.body.scrollHeight);
    fetch("/chat/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ text: text })
    }).then(function (response) { return response.json(); })
      .then(function (data) {
        showTeam(data);
        (data.messages || []).forEach(function (m) { showReply(m); });
        if (data.language) { document.documentElement.lang = data.language; }
        window.scrollTo(0, document.body.scrollHeight);
      })
      .catch(function () { input.value = shown ? input.value : text; });
  }

  // While a case with a person is open, the team's answers are fetched every few seconds.
  var poll = null;
  function showTeam(data) {
    var shown = (data.team || []).length;
    (data.team || []).forEach(function (m) { showReply(m, "bot team"); });
    if (shown) { window.scrollTo(0, document.body.scrollHeight); }
    var seconds = data.poll_seconds || 0;
    if (poll) { window.clearTimeout(poll); poll = null; }
    if (seconds > 0) { poll = window.setTimeout(check, seconds * 1000); }
  }
  function check() {
    fetch("/chat/updates", { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(showTeam)
      .catch(function () { poll = window.setTimeout(check, 60000); });
  }
  showTeam({ poll_seconds: Number(log.getAttribute("data-poll-seconds")) || 0 });

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
  });

  Array.prototype.forEach.call(document.querySelectorAll("form.quick"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(form.elements.payload.value, form.elements.title.value);
    });
  });
})();
