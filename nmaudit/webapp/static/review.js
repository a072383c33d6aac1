// Keyboard review: j / → next account, k / ← previous, r the reason, / the search, Esc leaves a field.
// Decisions have access keys on their buttons (Alt+C, Alt+O, Alt+A, Alt+F).
document.addEventListener("keydown", (event) => {
  const field = event.target.closest("input, textarea, select");
  if (field) {
    if (event.key === "Escape") field.blur();
    return;
  }
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const go = (rel) => {
    const link = document.querySelector(`a[rel="${rel}"]`);
    if (link) { event.preventDefault(); link.click(); }
  };
  if (event.key === "j" || event.key === "ArrowRight") go("next");
  else if (event.key === "k" || event.key === "ArrowLeft") go("prev");
  else {
    const target = document.querySelector(`[data-shortcut="${CSS.escape(event.key)}"]`);
    if (target) { event.preventDefault(); target.focus(); }
  }
});
