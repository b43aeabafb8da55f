// The change form's risk matrix: the cell of the chosen likelihood × impact is highlighted,
// so the requester sees the risk level (and whether the CAB is needed) before saving.
(function () {
  function highlight() {
    const likelihood = document.querySelector("[data-risk-input=likelihood]");
    const impact = document.querySelector("[data-risk-input=impact]");
    document.querySelectorAll("[data-risk-cell]").forEach(function (cell) {
      cell.classList.remove("fw-bold", "border", "border-2", "border-dark");
    });
    if (!likelihood || !impact || !likelihood.value || !impact.value) return;
    const cell = document.querySelector('[data-risk-cell="' + likelihood.value + "-" + impact.value + '"]');
    if (cell) cell.classList.add("fw-bold", "border", "border-2", "border-dark");
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-risk-input]")) highlight();
  });
  document.addEventListener("DOMContentLoaded", highlight);
})();
