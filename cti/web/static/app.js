// Shared by every page: API calls with the CSRF header, forms submitted to the API as JSON,
// "call back" buttons and deadline countdowns. No framework, no build step.
"use strict";

const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

async function api(method, url, body) {
  const headers = { "X-CSRF-Token": csrfToken(), "Accept": "application/json" };
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const resp = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  if (resp.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); }
  if (!resp.ok) {
    const err = new Error((data && data.error) || ("Ошибка " + resp.status));
    err.status = resp.status;
    throw err;
  }
  return data;
}

function toast(text, isError) {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = text;
  el.className = "toast" + (isError ? " toast-error" : "");
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 5000);
}

function formJson(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.name.startsWith("_") || el.type === "submit" || el.type === "file") continue;
    if (el.type === "checkbox") { out[el.name] = el.checked; continue; }
    const v = el.value.trim();
    if (el.dataset.type === "int") { out[el.name] = v === "" ? null : Number(v); continue; }
    if (v === "") continue;
    out[el.name] = v;
  }
  return out;
}

function fill(template, data) {
  return template.replace(/\{([\w.]+)\}/g, (_, path) => path.split(".").reduce((o, k) => (o || {})[k], data));
}

// Send a form's request (``send`` returns the answer); then follow data-redirect or reload, or
// show the Russian error beside the form. Shared by the pages' own scripts.
async function sendForm(form, send) {
  const msg = form.querySelector(".msg") || form.parentElement.querySelector(".msg");
  const button = form.querySelector('[type="submit"]');
  if (button) button.disabled = true;
  try {
    const data = await send();
    if (form.dataset.redirect) { location.href = fill(form.dataset.redirect, data); return; }
    toast("Сохранено");
    setTimeout(() => location.reload(), 300);
  } catch (e) {
    if (msg) { msg.textContent = e.message; msg.classList.add("error"); } else { toast(e.message, true); }
  } finally {
    if (button) button.disabled = false;
  }
}

async function submitApiForm(form) {
  const method = form.dataset.method || "POST";
  const body = form.enctype === "multipart/form-data" ? new FormData(form) : formJson(form);
  if (body instanceof FormData) body.delete("_missed_id");
  await sendForm(form, async () => {
    const data = await api(method, form.dataset.api, body);
    const missed = form.elements["_missed_id"];
    if (missed && data && data.ticket) {
      await api("POST", `/api/missed/${missed.value}/callback-result`, { outcome: "ticket_created", ticket_id: data.ticket.id });
    }
    return data;
  });
}

async function callBack(number) {
  try {
    await api("POST", "/api/callback", { number });
    toast("Вызов: сначала зазвонит ваш телефон, затем абонент " + number);
  } catch (e) {
    toast(e.message, true);
  }
}

function pad(n) { return String(n).padStart(2, "0"); }

function countdownText(iso) {
  const ms = new Date(iso).getTime() - Date.now();
  const s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const d = Math.floor(h / 24);
  const span = d >= 1 ? `${d} дн. ${h % 24} ч` : `${pad(h)}:${pad(m)}:${pad(sec)}`;
  return { late: ms < 0, text: ms < 0 ? "просрочено на " + span : "осталось " + span };
}

function tickCountdowns() {
  for (const el of document.querySelectorAll("[data-due]")) {
    if (!el.dataset.due) { el.textContent = ""; continue; }
    const c = countdownText(el.dataset.due);
    el.textContent = c.text;
    el.classList.toggle("late", c.late);
  }
}

document.addEventListener("submit", (ev) => {
  const form = ev.target;
  if (form.dataset && form.dataset.api) { ev.preventDefault(); submitApiForm(form); }
});
document.addEventListener("click", (ev) => {
  const btn = ev.target.closest("[data-callback]");
  if (btn) callBack(btn.dataset.callback);
});
setInterval(tickCountdowns, 1000);
document.addEventListener("DOMContentLoaded", tickCountdowns);

// The journal list: tickets ticked for one change to all of them (each goes through the same
// API as one at a time, so every rule and the history apply; what failed is said per ticket).
function bulkPaint() {
  const bar = document.getElementById("bulk");
  if (!bar) return;
  const n = document.querySelectorAll("input[data-bulk-id]:checked").length;
  bar.hidden = n === 0;
  document.getElementById("bulk-count").textContent = String(n);
}

async function bulkApply(act) {
  const bar = document.getElementById("bulk");
  const msg = bar.querySelector(".msg");
  const ticked = [...document.querySelectorAll("input[data-bulk-id]:checked")];
  const val = (name) => bar.querySelector(`[name="${name}"]`).value;
  const failed = [];
  for (const box of ticked) {
    const id = box.dataset.bulkId;
    try {
      if (act === "assign") {
        await api("POST", `/api/tickets/${id}/assign`, { executor_id: val("bulk_executor") ? Number(val("bulk_executor")) : null });
      } else {
        const note = val("bulk_comment") || null, status = val("bulk_status");
        const finishing = ["done", "cannot_be_done", "closed"].includes(status);  // the comment is the work result
        await api("POST", `/api/tickets/${id}/status`, { status, comment: finishing ? null : note, result: finishing ? note : null });
      }
      box.checked = false;
    } catch (e) {
      failed.push(`№ ${box.dataset.number}: ${e.message}`);
    }
  }
  bulkPaint();
  msg.classList.toggle("error", failed.length > 0);
  msg.textContent = failed.length ? "Не изменены — " + failed.join("; ") : `Изменено заявок: ${ticked.length}`;
  if (!failed.length) setTimeout(() => location.reload(), 600);
}

document.addEventListener("change", (ev) => {
  const t = ev.target;
  if (t.id === "bulk-all") {
    for (const box of document.querySelectorAll("input[data-bulk-id]")) box.checked = t.checked;
  }
  if (t.id === "bulk-all" || (t.dataset && t.dataset.bulkId)) bulkPaint();
});
document.addEventListener("click", (ev) => {
  const b = ev.target.closest && ev.target.closest("[data-bulk-act]");
  if (b) bulkApply(b.dataset.bulkAct);
});
