// Live SLA countdown: every badge with data-due shows the time left (or overdue) and turns
// amber under an hour, red when overdue. Wall-clock time left; the server decides breaches.
(function () {
  function fmt(ms) {
    const abs = Math.abs(ms), m = Math.floor(abs / 60000), h = Math.floor(m / 60), d = Math.floor(h / 24);
    const text = d > 0 ? d + "d " + (h % 24) + "h" : h > 0 ? h + "h " + (m % 60) + "m" : m + "m";
    return (ms < 0 ? "-" : "") + text;
  }
  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      const left = Date.parse(el.dataset.due) - now;
      if (isNaN(left)) return;
      el.textContent = fmt(left);
      el.classList.toggle("text-bg-danger", left < 0);
      el.classList.toggle("text-bg-warning", left >= 0 && left < 3600000);
      el.classList.toggle("text-bg-light", left >= 3600000);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 30000);
})();

// Canned responses: choosing one puts its text into the reply box.
document.addEventListener("change", function (event) {
  const select = event.target.closest("[data-canned-target]");
  if (!select || !select.value) return;
  const box = document.getElementById(select.dataset.cannedTarget);
  if (box) { box.value = box.value ? box.value + "\n" + select.value : select.value; box.focus(); }
  select.value = "";
});

// Collision warning: once the agent starts writing a reply, the presence ping says so at once.
document.addEventListener("input", function (event) {
  if (!event.target.matches("form textarea[name=body]")) return;
  const flag = document.getElementById("presence-editing");
  if (!flag || flag.value === "1") return;
  flag.value = "1";
  if (window.htmx) window.htmx.trigger("#presence", "editing");
});
