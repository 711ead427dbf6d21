// Settle portal: small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("submit", (event) => {
  // A form is sent once: a second click while the first is on its way does nothing.
  const form = event.target;
  if (form.dataset.sending === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "yes";
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
});
