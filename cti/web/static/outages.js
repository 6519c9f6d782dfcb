// «Аварии»: buildings picked by street («все дома улицы») or one by one; declaring, changing,
// state changes and detaching go to /api/outages. Uses api() and toast() of app.js.
"use strict";

function outageBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.type === "submit" || el.type === "checkbox") continue;
    const v = el.value.trim();
    if (v !== "") body[el.name] = v;
  }
  const boxes = form.querySelectorAll("input[data-building]");
  if (boxes.length) body.building_ids = [...boxes].filter((b) => b.checked).map((b) => Number(b.dataset.building));
  if ("ticket_ids" in body) body.ticket_ids = body.ticket_ids.split(",").filter((x) => x).map(Number);
  return body;
}

async function submitOutage(form) {
  const msg = form.querySelector(".msg");
  const button = form.querySelector('[type="submit"]');
  const kind = form.dataset.outage;
  const body = outageBody(form);
  button.disabled = true;
  try {
    if (kind === "declare") {
      const data = await api("POST", "/api/outages", body);
      location.href = "/outages/" + data.outage.id;
      return;
    }
    if (kind === "change") await api("PATCH", "/api/outages/" + form.dataset.id, body);
    if (kind === "state") await api("POST", "/api/outages/" + form.dataset.id + "/state", body);
    toast("Сохранено");
    setTimeout(() => location.reload(), 300);
  } catch (e) {
    if (msg) { msg.textContent = e.message; msg.classList.add("error"); }
    toast(e.message, true);
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("submit", (ev) => {
  const form = ev.target.closest("form[data-outage]");
  if (form) { ev.preventDefault(); submitOutage(form); }
});

document.addEventListener("change", (ev) => {
  if (!ev.target.matches("input[data-street-all]")) return;
  const street = ev.target.closest(".street");
  for (const box of street.querySelectorAll("input[data-building]")) box.checked = ev.target.checked;
});

document.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("button[data-detach]");
  if (!btn) return;
  btn.disabled = true;
  try {
    await api("POST", "/api/outages/" + btn.dataset.id + "/detach", { ticket_id: Number(btn.dataset.detach) });
    toast("Заявка отсоединена");
    setTimeout(() => location.reload(), 300);
  } catch (e) {
    toast(e.message, true);
    btn.disabled = false;
  }
});
