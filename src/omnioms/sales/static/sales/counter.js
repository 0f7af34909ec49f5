// The counter's scan field: empty and focused again after each scan, ready for the next one.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (form instanceof HTMLFormElement && form.classList.contains("scan")) {
    form.reset();
    form.querySelector("input[name=code]")?.focus();
  }
});
