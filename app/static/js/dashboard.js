// The print view's "Print this report" button, added only when scripts run (the page says how
// to print without it). Served from the app's own files: the Content-Security-Policy allows no
// inline script.
for (const slot of document.querySelectorAll('[data-module="app-print"]')) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "govuk-button govuk-button--secondary";
  button.textContent = "Print this report";
  button.addEventListener("click", () => window.print());
  slot.append(button);
}
