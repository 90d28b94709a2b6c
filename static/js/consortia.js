// Join and propose forms: hide "register your organization" once an existing one is chosen.
// Progressive enhancement only: without JavaScript both parts show and the form still works.
(function () {
  "use strict";
  var select = document.getElementById("id_organization");
  var fieldset = document.querySelector("[data-new-organization]");
  if (!select || !fieldset || select.tagName !== "SELECT") {
    return;
  }
  function update() {
    fieldset.hidden = select.value !== "";
  }
  select.addEventListener("change", update);
  update();
})();
// The manage area: after an action, focus the message at the top (or the first field in
// error, which the server marks autofocus, or a preview); an anchor of the former one-page
// manage area (in older mails: /manage/#requests-title) opens its section.
(function () {
  "use strict";
  if (!document.querySelector("[data-manage]")) {
    return;
  }
  var anchor = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  if (anchor && anchor.dataset.sectionUrl) {
    window.location.replace(anchor.dataset.sectionUrl);
    return;
  }
  if (document.querySelector("[autofocus]")) {
    return;
  }
  var target = document.querySelector("[data-focus]") || document.querySelector(".messages");
  if (target) {
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }
})();
