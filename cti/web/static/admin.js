// The administrator's pages: staff, executors' profiles, imports. Uses api() and toast() of app.js.
"use strict";

function showPassword(login, password) {
  const el = document.getElementById("temp-password");
  el.textContent = `Временный пароль для «${login}»: ${password} — передайте его сотруднику; при первом входе он задаст свой.`;
  el.hidden = false;
}

function setMsg(form, text, isError) {
  const msg = form.querySelector(".msg") || form.parentElement.querySelector(".msg");
  if (msg) { msg.textContent = text; msg.classList.toggle("error", !!isError); }
}

async function createUser(form) {
  try {
    const data = await api("POST", "/api/admin/users", formJson(form));
    showPassword(data.user.login, data.temporary_password);
    setMsg(form, "Сотрудник создан", false);
    form.reset();
  } catch (e) { setMsg(form, e.message, true); toast(e.message, true); }
}

function profileBody(form) {
  const categories = [...form.querySelectorAll('input[name="category"]:checked')].map((el) => el.value);
  const all = form.elements["all_buildings"].checked;
  const buildings = all ? [] : [...form.elements["building_ids"].selectedOptions].map((o) => Number(o.value));
  const weekly = [];
  for (let d = 0; d < 7; d++) {
    const start = form.elements[`w${d}_start`].value.trim();
    const end = form.elements[`w${d}_end`].value.trim();
    if (start || end) weekly.push({ weekday: d, start, end });
  }
  const f = (n) => form.elements[n].value.trim();
  const rota = f("rota_pattern") || f("rota_starts_on")
    ? { starts_on: f("rota_starts_on"), start: f("rota_start"), end: f("rota_end"), pattern: f("rota_pattern") }
    : null;
  return { categories, building_ids: buildings, weekly, rota };
}

async function saveProfile(form) {
  try {
    await api("PUT", `/api/admin/users/${form.dataset.user}/profile`, profileBody(form));
    toast("Профиль сохранён");
    setTimeout(() => location.reload(), 300);
  } catch (e) { setMsg(form, e.message, true); toast(e.message, true); }
}

function renderReport(box, report) {
  const result = box.querySelector(".import-result");
  const errors = result.querySelector("table.errors");
  const preview = result.querySelector("table.preview");
  result.hidden = false;
  const state = report.applied ? "Импортировано" : (report.errors.length ? "Импорт невозможен" : "Проверено");
  result.querySelector(".summary").textContent =
    `${state}: строк ${report.rows}, новых ${report.created}, обновляемых ${report.updated}, ошибок ${report.errors.length}.`;
  const eb = errors.querySelector("tbody");
  eb.replaceChildren();
  for (const e of report.errors) {
    const tr = document.createElement("tr");
    for (const v of [e.row, e.field_label, e.message]) {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    }
    eb.appendChild(tr);
  }
  errors.hidden = report.errors.length === 0;
  const rows = report.preview;
  preview.hidden = rows.length === 0 || report.applied;
  if (rows.length) {
    const cols = report.columns;
    const head = document.createElement("tr");
    for (const c of cols) { const th = document.createElement("th"); th.textContent = c.label; head.appendChild(th); }
    preview.querySelector("thead").replaceChildren(head);
    const body = preview.querySelector("tbody");
    body.replaceChildren();
    for (const r of rows) {
      const tr = document.createElement("tr");
      for (const c of cols) {
        const td = document.createElement("td");
        const v = r[c.key];
        td.textContent = v === null || v === undefined ? "" : (v === true ? "есть" : (v === false ? "новый" : v));
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }
}

async function runImport(form, apply) {
  const box = form.closest(".import");
  const body = new FormData(form);
  body.set("apply", apply ? "true" : "false");
  const applyButton = form.querySelector('[data-admin="import-apply"]');
  setMsg(form, apply ? "Импорт…" : "Проверка…", false);
  try {
    const report = await api("POST", `/api/admin/import/${form.dataset.kind}`, body);
    renderReport(box, report);
    applyButton.disabled = apply || report.errors.length > 0 || report.rows === 0;
    setMsg(form, apply ? "Импорт выполнен" : (report.errors.length ? "В файле есть ошибки" : "Ошибок нет"), report.errors.length > 0);
    if (apply) { toast("Импорт выполнен"); setTimeout(() => location.reload(), 1500); }
  } catch (e) {
    applyButton.disabled = true;
    setMsg(form, e.message, true);
    toast(e.message, true);
  }
}

async function slaPreview(form) {
  const body = formJson(form);
  delete body.draft;
  if (form.elements["draft"].checked) body.text = document.querySelector('#sla-edit [name="text"]').value;
  const out = document.getElementById("sla-preview-result");
  try {
    const data = await api("POST", "/api/admin/sla/preview", body);
    out.textContent = data.text;
    out.classList.remove("error");
  } catch (e) { out.textContent = e.message; out.classList.add("error"); }
  out.hidden = false;
}

async function slaSave(form, checkOnly) {
  const text = form.elements["text"].value;
  try {
    if (checkOnly) {
      const data = await api("POST", "/api/admin/sla/check", { text });
      setMsg(form, `Ошибок нет: правил ${data.rules.length}`, false);
      return;
    }
    const data = await api("POST", "/api/admin/sla", { text, comment: form.elements["comment"].value.trim() || null });
    toast(`Сохранена версия ${data.version}`);
    setTimeout(() => location.reload(), 300);
  } catch (e) { setMsg(form, e.message, true); }
}

async function saveGreeting(form) {
  try {
    const data = await api("PUT", "/api/admin/voice/greeting", {
      announcement: form.elements["announcement"].checked, office_hours: form.elements["office_hours"].value.trim() || null });
    document.getElementById("voice-plan").textContent = data.plan.join(" → ");
    setMsg(form, "Сохранено", false);
  } catch (e) { setMsg(form, e.message, true); }
}

async function savePrompt(form, file) {
  const name = form.dataset.name;
  const button = form.querySelector('[type="submit"]');
  button.disabled = true;
  setMsg(form, file ? "Загрузка…" : "Озвучивание…", false);
  try {
    if (file) {
      const data = await api("POST", `/api/admin/voice/prompts/${name}/recording`, new FormData(form));
      setMsg(form, data.converted ? "Запись преобразована в 8 кГц моно и поставлена" : "Запись поставлена", false);
    } else {
      await api("PUT", `/api/admin/voice/prompts/${name}`, { text: form.elements["text"].value });
      setMsg(form, "Озвучено и поставлено", false);
    }
    const audio = form.closest(".prompt").querySelector("audio");
    audio.src = `/api/admin/voice/prompts/${name}.wav?v=${Date.now()}`;
    audio.load();
  } catch (e) { setMsg(form, e.message, true); }
  finally { button.disabled = false; }
}

function webhookBody(form) {
  return { url: form.elements["url"].value.trim() || null,
           events: [...form.querySelectorAll('input[name="event"]:checked')].map((el) => el.value) };
}

async function saveWebhook(form) {
  try {
    await api("PUT", "/api/admin/webhook", webhookBody(form));
    setMsg(form, "Сохранено", false);
  } catch (e) { setMsg(form, e.message, true); }
}

async function testWebhook(form) {
  const out = document.getElementById("webhook-answer");
  setMsg(form, "Отправка…", false);
  try {
    const data = await api("POST", "/api/admin/webhook/test", { url: webhookBody(form).url });
    out.textContent = data.ok ? `Доставлено: HTTP ${data.status}\n${data.body || ""}`
      : (data.status ? `Ошибка: HTTP ${data.status}\n${data.body || ""}` : `Не доставлено: ${data.error}`);
    out.classList.toggle("error", !data.ok);
    out.hidden = false;
    setMsg(form, "", false);
  } catch (e) { setMsg(form, e.message, true); }
}

document.addEventListener("submit", (ev) => {
  const form = ev.target;
  const what = form.dataset && form.dataset.admin;
  if (!what) return;
  ev.preventDefault();
  if (what === "greeting") saveGreeting(form);
  else if (what === "prompt-text") savePrompt(form, false);
  else if (what === "prompt-file") savePrompt(form, true);
  else if (what === "webhook") saveWebhook(form);
  else if (what === "sla-preview") slaPreview(form);
  else if (what === "sla-save") slaSave(form, false);
  else if (what === "create-user") createUser(form);
  else if (what === "profile") saveProfile(form);
  else if (what === "import") runImport(form, false);
});

document.addEventListener("change", (ev) => {
  const form = ev.target.closest('form[data-admin="import"]');
  if (form && ev.target.type === "file") form.querySelector('[data-admin="import-apply"]').disabled = true;
});

document.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("button[data-admin]");
  if (!btn) return;
  const what = btn.dataset.admin;
  try {
    if (what === "edit-row") {
      // The add form becomes this row's edit form: the same fields, PATCH to the row.
      const form = document.getElementById(btn.dataset.form);
      const values = JSON.parse(btn.dataset.values);
      for (const el of form.elements) {
        if (el.name && el.name in values) el.value = values[el.name] === null ? "" : values[el.name];
      }
      form.dataset.api = btn.dataset.url;
      form.dataset.method = "PATCH";
      form.closest("section").querySelector("h2").textContent = btn.dataset.title;
      form.querySelector('[type="submit"]').textContent = "Сохранить";
      form.scrollIntoView();
    } else if (what === "webhook-test") {
      await testWebhook(btn.closest("form"));
    } else if (what === "sla-check") {
      await slaSave(btn.closest("form"), true);
    } else if (what === "import-apply") {
      await runImport(btn.closest("form"), true);
    } else if (what === "reset-password") {
      const data = await api("POST", `/api/admin/users/${btn.dataset.user}/reset-password`);
      showPassword(document.querySelector('#edit-user [name="full_name"]').value, data.temporary_password);
    } else if (what === "set-active") {
      await api("PATCH", `/api/admin/users/${btn.dataset.user}`, { is_active: btn.dataset.active === "1" });
      location.reload();
    } else if (what === "delete") {
      await api("DELETE", btn.dataset.url);
      location.reload();
    }
  } catch (e) { toast(e.message, true); }
});
