// Change calendar: pointing at a change (or focusing it) highlights every day it spans and
// its line in the lists below, so a change across several days reads as one bar.
(function () {
  function mark(reference, on) {
    document.querySelectorAll('[data-change="' + CSS.escape(reference) + '"]').forEach(function (el) {
      el.classList.toggle("bg-warning-subtle", on);
    });
  }
  ["mouseover", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      const el = event.target.closest && event.target.closest("[data-change]");
      if (el) mark(el.dataset.change, true);
    });
  });
  ["mouseout", "focusout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      const el = event.target.closest && event.target.closest("[data-change]");
      if (el) mark(el.dataset.change, false);
    });
  });
})();
