// Quote-reply without a page load. Without JavaScript, the "Quote" link reloads the
// topic with ?quote=<post id> and the server pre-fills the reply box.
(function () {
  "use strict";
  var textarea = document.querySelector("#reply textarea");
  if (!textarea) {
    return;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.quote-link") : null;
    if (!link) {
      return;
    }
    var post = document.getElementById("post-" + link.getAttribute("data-post"));
    var body = post && post.querySelector(".post-body");
    if (!body) {
      return;
    }
    event.preventDefault();
    var selection = window.getSelection ? String(window.getSelection()) : "";
    var text = selection && body.contains(window.getSelection().anchorNode) ? selection : body.innerText;
    var quoted = text.trim().split("\n").map(function (line) {
      return line ? "> " + line : ">";
    }).join("\n");
    var author = link.getAttribute("data-author");
    var intro = author ? author + ":\n" : "";
    var before = textarea.value ? textarea.value.replace(/\s*$/, "") + "\n\n" : "";
    textarea.value = before + intro + quoted + "\n\n";
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  });
})();
