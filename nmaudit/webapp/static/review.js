// Keyboard review, shown in the page header:
//   j / →  next account, k / ←  previous, r  the reason, /  the search, Esc leaves a field;
//   Alt+letter (also from inside a field) presses the button or focuses the field marked
//   data-alt="letter": Alt+C confirm, Alt+O overrule, Alt+A attest, Alt+F filed, Alt+V, Alt+D.
// On the queue of what needs a person (人工核查) the same keys work on the current account:
//   j / k  next / previous account, d  the date, c  the certification, x  tick it for a bulk
//   answer, Alt+Y / Alt+N interaction yes / no, Alt+U / Alt+I app available or not, Alt+S save.
// (Our own handler rather than accesskey, whose modifiers differ by browser and system.)
const current = () => document.querySelector(".queue-item.current");
const within = (selector) => (current() && current().querySelector(selector)) || document.querySelector(selector);
const press = (target) => {
  if (target.tagName === "BUTTON" || (target.tagName === "INPUT" && /^(radio|checkbox)$/.test(target.type))) target.click();
  else target.focus();
};
const move = (step) => {
  const items = [...document.querySelectorAll(".queue-item")];
  if (!items.length) return false;
  const at = items.indexOf(current());
  const next = items[Math.min(Math.max(at + step, 0), items.length - 1)];
  items.forEach((item) => item.classList.toggle("current", item === next));
  next.focus({ preventScroll: true });
  next.scrollIntoView({ block: "start" });
  history.replaceState(null, "", `?at=${encodeURIComponent(next.dataset.account)}#q-${next.dataset.account}`);
  return true;
};
document.addEventListener("focusin", (event) => {
  // Working in a card (a tap on a phone, Tab on a keyboard) makes it the current account.
  const item = event.target.closest && event.target.closest(".queue-item");
  if (item && !item.classList.contains("current")) {
    document.querySelectorAll(".queue-item.current").forEach((other) => other.classList.remove("current"));
    item.classList.add("current");
  }
});
document.addEventListener("keydown", (event) => {
  if (event.altKey && !event.ctrlKey && !event.metaKey && /^Key[A-Z]$/.test(event.code)) {
    const target = within(`[data-alt="${event.code.slice(3).toLowerCase()}"]`);
    if (target) {
      event.preventDefault();
      press(target);
    }
    return;
  }
  const field = event.target.closest("input, textarea, select");
  if (field) {
    if (event.key === "Escape") field.blur();
    return;
  }
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const go = (rel, step) => {
    const link = document.querySelector(`a[rel="${rel}"]`);
    if (link) { event.preventDefault(); link.click(); }
    else if (move(step)) event.preventDefault();
  };
  if (event.key === "j" || event.key === "ArrowRight") go("next", 1);
  else if (event.key === "k" || event.key === "ArrowLeft") go("prev", -1);
  else {
    const target = within(`[data-shortcut="${CSS.escape(event.key)}"]`);
    if (target) { event.preventDefault(); press(target); }
  }
});
document.addEventListener("DOMContentLoaded", () => {
  const item = current();
  if (item && location.hash === `#q-${item.dataset.account}`) item.focus({ preventScroll: true });
});
