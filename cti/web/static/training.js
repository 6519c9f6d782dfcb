// Training mode on the dispatcher console: start a scripted call to this console, mark its
// card as training, and finish it for a field-by-field score. Values go in with textContent.
"use strict";

const Training = {
  deadlines: [],

  async start() {
    const panel = document.getElementById("training-panel");
    if (!panel) return;
    let info;
    try { info = await api("GET", "/api/training/scenarios"); } catch (e) { return; }
    this.deadlines = info.deadlines;
    const select = document.getElementById("training-scenario");
    select.replaceChildren(...info.scenarios.map((s) => new Option(s.title, s.id)));
    const briefing = () => {
      const s = info.scenarios.find((x) => x.id === select.value);
      document.getElementById("training-briefing").textContent = s ? s.briefing : "";
    };
    select.addEventListener("change", briefing);
    briefing();
    panel.hidden = false;
    const btn = document.getElementById("training-start");
    const msg = document.getElementById("training-msg");
    if (!info.available) {
      btn.disabled = true;
      msg.textContent = "Учебные звонки доступны только с имитатором АТС (демо-режим).";
      return;
    }
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      msg.classList.remove("error");
      msg.textContent = "Звонок поступает…";
      try {
        const run = await api("POST", "/api/training/runs", { scenario: select.value });
        msg.textContent = "Учебный звонок начат (тренировка № " + run.id + "). Карточка появится здесь.";
      } catch (e) {
        msg.textContent = e.message;
        msg.classList.add("error");
      } finally {
        btn.disabled = false;
      }
    });
    document.getElementById("cards").addEventListener("click", (ev) => this.onClick(ev));
  },

  // Called by Console.paint for every card.
  paint(card) {
    const d = card.data, el = card.el, box = el.querySelector(".training-box");
    if (!box) return;
    const on = !!d.training;
    box.hidden = !on;
    el.classList.toggle("training", on);
    if (!on) return;
    el.dataset.trainingRun = d.training_run_id;
    box.querySelector('[data-t="title"]').textContent = d.scenario_title || "";
    box.querySelector('[data-t="said"]').textContent = d.caller_text ? "«" + d.caller_text + "»" : "—";
    const note = el.querySelector(".emergency-note");
    if (card.emergency) note.textContent = "Аварийный учебный вызов — только на вашем пульте";
    const sel = box.querySelector('select[name="deadline_told"]');
    if (sel.options.length <= 1) sel.append(...this.deadlines.map((x) => new Option(x.label, x.value)));
  },

  async onClick(ev) {
    const btn = ev.target.closest('[data-training="finish"]');
    if (!btn) return;
    const el = btn.closest(".card");
    const out = el.querySelector(".training-result");
    btn.disabled = true;
    try {
      const told = el.querySelector('select[name="deadline_told"]').value || null;
      const run = await api("POST", `/api/training/runs/${el.dataset.trainingRun}/finish`, { deadline_told: told });
      this.showScore(out, run);
      btn.hidden = true;
    } catch (e) {
      out.textContent = e.message;
      out.className = "training-result msg error";
      btn.disabled = false;
    }
  },

  showScore(out, run) {
    out.className = "training-result";
    const total = document.createElement("div");
    total.className = "score-total";
    total.textContent = `Результат: ${run.score} из ${run.max_score}`;
    const table = document.createElement("table");
    table.className = "list score";
    const head = table.createTHead().insertRow();
    for (const t of ["Поле", "Ожидалось", "В вашей заявке", ""]) {
      const th = document.createElement("th");
      th.textContent = t;
      head.append(th);
    }
    const body = table.createTBody();
    for (const f of run.fields) {
      const tr = body.insertRow();
      for (const v of [f.label, f.expected, f.actual]) tr.insertCell().textContent = v;
      const mark = tr.insertCell();
      mark.textContent = f.ok ? "✓ верно" : "✗ ошибка";
      mark.className = f.ok ? "ok" : "bad";
    }
    out.replaceChildren(total, table);
  },
};

window.Training = Training;
document.addEventListener("DOMContentLoaded", () => Training.start());
