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
