// A "Print" button for pages meant for paper (no inline script: the CSP allows only files).
document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.hidden = false;  // shown only where scripts run, since it needs one
  button.addEventListener("click", function () { window.print(); });
});
