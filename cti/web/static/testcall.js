// The "test call" page: a scripted caller on the stand-in. What the caller says is typed text,
// an audio file, or a recording made here with MediaRecorder (converted on the server).
"use strict";

const TestCall = {
  recorded: null,
  recorder: null,

  start() {
    const form = document.getElementById("test-call-form");
    if (!form) return;
    form.addEventListener("change", (ev) => {
      if (ev.target.name === "source") this.showSource(form);
      if (ev.target.name === "resident" && ev.target.value) form.elements.number.value = ev.target.value;
    });
    form.addEventListener("submit", (ev) => { ev.preventDefault(); this.submit(form); });
    document.getElementById("rec-start").addEventListener("click", () => this.record());
    document.getElementById("rec-stop").addEventListener("click", () => this.stop());
    this.showSource(form);
  },

  showSource(form) {
    const source = form.querySelector('input[name="source"]:checked').value;
    for (const el of form.querySelectorAll("[data-source]")) el.hidden = el.dataset.source !== source;
  },

  async record() {
    const state = document.getElementById("rec-state");
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      state.textContent = "Браузер не умеет записывать звук (нужен HTTPS или localhost и MediaRecorder)";
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const chunks = [];
      const rec = new MediaRecorder(stream);
      rec.ondataavailable = (e) => chunks.push(e.data);
      rec.onstop = () => {
        stream.getTracks().forEach((t) => t.stop());
        this.recorded = new Blob(chunks, { type: rec.mimeType || "audio/webm" });
        state.textContent = `Записано ${(this.recorded.size / 1024).toFixed(0)} КБ (${this.recorded.type})`;
      };
      rec.start();
      this.recorder = rec;
      state.textContent = "Идёт запись…";
      document.getElementById("rec-start").disabled = true;
      document.getElementById("rec-stop").disabled = false;
    } catch (e) {
      state.textContent = "Нет доступа к микрофону: " + e.message;
    }
  },

  stop() {
    if (this.recorder) this.recorder.stop();
    document.getElementById("rec-start").disabled = false;
    document.getElementById("rec-stop").disabled = true;
  },

  async submit(form) {
    const msg = document.getElementById("test-call-msg");
    const data = new FormData();
    for (const name of ["number", "name", "keys", "first_key_at", "hangup_after"]) data.append(name, form.elements[name].value);
    const source = form.querySelector('input[name="source"]:checked').value;
    if (source === "text") data.append("text", form.elements.text.value);
    if (source === "file") {
      const file = form.elements.audio.files[0];
      if (!file) { msg.textContent = "Выберите файл"; msg.className = "msg error"; return; }
      data.append("audio", file, file.name);
    }
    if (source === "record") {
      if (!this.recorded) { msg.textContent = "Сначала запишите голос"; msg.className = "msg error"; return; }
      const ext = this.recorded.type.includes("ogg") ? ".ogg" : this.recorded.type.includes("mp4") ? ".m4a" : ".webm";
      data.append("audio", this.recorded, "recording" + ext);
    }
    msg.className = "msg";
    msg.textContent = "Звоним…";
    try {
      const r = await api("POST", "/api/test-calls", data);
      msg.textContent = `Звонок ${r.channel_id} с номера ${r.number} идёт: откройте пульт диспетчера.`;
    } catch (e) {
      msg.textContent = e.message;
      msg.className = "msg error";
    }
  },
};

document.addEventListener("DOMContentLoaded", () => TestCall.start());
