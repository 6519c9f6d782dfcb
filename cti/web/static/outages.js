// «Аварии»: buildings picked by street («все дома улицы») or one by one; declaring, changing,
// state changes and detaching go to /api/outages. Uses api(), toast() and sendForm() of app.js.
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

// data-outage="declare" goes on to the new outage's page (data-redirect), the others reload.
function submitOutage(form) {
  const body = outageBody(form);
  const id = form.dataset.id;
  const send = {
    declare: () => api("POST", "/api/outages", body),
    change: () => api("PATCH", "/api/outages/" + id, body),
    state: () => api("POST", "/api/outages/" + id + "/state", body),
  }[form.dataset.outage];
  return sendForm(form, send);
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
