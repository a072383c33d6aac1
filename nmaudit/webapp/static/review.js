// Keyboard review, shown in the page header:
//   j / →  next account, k / ←  previous, r  the reason, /  the search, Esc leaves a field;
//   Alt+letter (also from inside a field) presses the button or focuses the field marked
//   data-alt="letter": Alt+C confirm, Alt+O overrule, Alt+A attest, Alt+F filed, Alt+V, Alt+D.
// (Our own handler rather than accesskey, whose modifiers differ by browser and system.)
document.addEventListener("keydown", (event) => {
  if (event.altKey && !event.ctrlKey && !event.metaKey && /^Key[A-Z]$/.test(event.code)) {
    const target = document.querySelector(`[data-alt="${event.code.slice(3).toLowerCase()}"]`);
    if (target) {
      event.preventDefault();
      if (target.tagName === "BUTTON") target.click(); else target.focus();
    }
    return;
  }
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
