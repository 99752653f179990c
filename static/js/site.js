/* Etalase UMKM: small progressive enhancements. Every page works without it. */
(function () {
  "use strict";

  // Filter forms: apply a choice as soon as it is made (the submit button stays
  // for keyboards and for browsers without JavaScript). Text and number fields
  // wait for the button or Enter.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      var field = event.target;
      if (field.tagName === "SELECT" || field.type === "checkbox") {
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }
    });
  });

  // The filter panel is folded on phones and open on wider screens.
  var wide = window.matchMedia("(min-width: 56rem)");
  function unfold() {
    if (wide.matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
        details.open = true;
      });
    }
  }
  unfold();
  if (wide.addEventListener) wide.addEventListener("change", unfold);

  // Leave empty fields out of the address, so shared links stay short.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (field) {
        if (field.name && field.value === "" && field.type !== "checkbox" && !field.disabled) {
          field.disabled = true;
          field.setAttribute("data-emptied", "");
        }
      });
    });
  });
  // Coming back with the Back button: give the fields back.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-emptied]").forEach(function (field) {
      field.disabled = false;
      field.removeAttribute("data-emptied");
    });
  });
})();
