// The dispatcher console: the /ws event stream, the live call list and screen-pop cards.
// Every value from the server is put in with textContent, never innerHTML: a transcript or a
// name containing markup is shown as text.
"use strict";

// Drop null values: a message carries what it knows, and must not blank what the card shows.
function present(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined));
}

const Console = {
  lastId: 0,
  epoch: "",
  socket: null,
  retry: 1000,
  calls: new Map(),
  cards: new Map(),   // key (ticket id or "call:<id>") -> {el, data}
  statusLabels: {},

  start() {
    this.connect();
    document.getElementById("cards").addEventListener("click", (ev) => this.onCardClick(ev));
  },

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    // The ids are those of one server process (its epoch): after a restart the server replays
    // all it has and asks for a reload instead of skipping ids it never sent.
    const query = this.lastId ? `?last_id=${this.lastId}&epoch=${encodeURIComponent(this.epoch)}` : "";
    const ws = new WebSocket(`${scheme}://${location.host}/ws${query}`);
    this.socket = ws;
    ws.onopen = () => { this.retry = 1000; this.setLink(true); };
    ws.onmessage = (ev) => this.onMessage(JSON.parse(ev.data));
    ws.onclose = (ev) => {
      // 4401: the session was ended (log-out elsewhere, account switched off): log in again.
      if (ev.code === 4401) { location.reload(); return; }
      this.setLink(false);
      // Back off up to 10 s; the hub replays what was missed since lastId.
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 10000);
    };
  },

  alert(text) {
    // Text, never HTML (the login in it is an attacker's string).
    const el = document.createElement("div");
    el.className = "banner security-alert";
    el.setAttribute("role", "alert");
    el.textContent = text;
    document.querySelector("main, body").prepend(el);
  },

  setLink(up) {
    const el = document.getElementById("ws-state");
    el.classList.toggle("up", up);
    el.title = up ? "Соединение с сервером установлено" : "Нет соединения с сервером, переподключение…";
    // Not a dot alone: a dispatcher must see at once that the screen has stopped updating.
    document.getElementById("ws-banner").hidden = up;
  },

  onMessage(msg) {
    if (msg.id > this.lastId) this.lastId = msg.id;
    switch (msg.type) {
      case "hello":
        if (msg.epoch !== this.epoch) { this.epoch = msg.epoch; this.lastId = 0; }
        if (msg.pbx_connected !== null) this.pbx(msg.pbx_connected);
        this.calls.clear();
        for (const c of msg.calls) this.calls.set(c.call_id, c);
        this.renderCalls();
        break;
      case "security_alert":
        // Administrators only (the hub sends it to them): a pattern of password guessing.
        this.alert(msg.message);
        break;
      case "resync":
        for (const key of this.cards.keys()) this.refreshCard(key);
        break;
      case "pbx_state": this.pbx(msg.connected); break;
      case "call_state":
        if (msg.state === "ended") this.calls.delete(msg.call_id);
        else this.calls.set(msg.call_id, Object.assign(this.calls.get(msg.call_id) || {}, msg));
        this.renderCalls();
        break;
      case "screen_pop": this.pop(msg); break;
      case "ticket_updated": this.ticketUpdated(msg); break;
    }
  },

  pbx(connected) {
    document.getElementById("pbx-banner").hidden = connected;
    // The header's indicator shows the state at all times, not only when the link is down.
    const st = document.getElementById("pbx-state");
    if (st) {
      st.className = "pbx-state " + (connected ? "pbx-up" : "pbx-down");
      st.textContent = (connected ? "АТС: на связи" : "АТС: нет связи") + (st.dataset.standin ? " (имитатор)" : "");
    }
  },

  renderCalls() {
    const list = document.getElementById("calls-list");
    list.replaceChildren();
    if (!this.calls.size) {
      const li = document.createElement("li");
      li.className = "muted empty";
      li.textContent = "Активных звонков нет";
      list.append(li);
      return;
    }
    const states = { ringing: "звонок", ivr: "автоответчик", queued: "в очереди", answered: "разговор" };
    for (const c of this.calls.values()) {
      const li = document.createElement("li");
      li.className = "call state-" + c.state;
      const who = document.createElement("strong");
      who.textContent = c.caller_number || "номер скрыт";
      const name = document.createElement("span");
      name.className = "muted";
      name.textContent = " " + (c.caller_name || "");
      const st = document.createElement("span");
      st.className = "call-state";
      st.textContent = (states[c.state] || c.state) + (c.extension ? ", вн. " + c.extension : "");
      li.append(who, name, document.createElement("br"), st);
      list.append(li);
    }
  },

  // One card per call: the "ringing" and "answered" pops of a call, and a later pop that
  // brings its ticket, all land on the same card.
  findCard(msg) {
    for (const card of this.cards.values()) {
      if (msg.ticket_id && card.data.ticket_id === msg.ticket_id) return card;
      if (msg.call_id && card.data.call_id === msg.call_id) return card;
    }
    return null;
  },

  pop(msg) {
    let card = this.findCard(msg);
    const key = card ? card.key : "card-" + msg.id;
    msg = present(msg);
    if (!card) {
      const el = document.getElementById("card-template").content.firstElementChild.cloneNode(true);
      card = { el, data: {}, key };
      this.cards.set(key, card);
      document.getElementById("cards").prepend(el);
      document.getElementById("cards-empty").hidden = true;
    }
    card.el.dataset.key = key;
    // Once an emergency, the card stays marked: a later pop of the same call may not say so.
    card.emergency = card.emergency || !!msg.emergency;
    if (msg.reasons && msg.reasons.length) {
      card.el.querySelector(".emergency-note").textContent = "Аварийная заявка: " + msg.reasons.join("; ");
    }
    Object.assign(card.data, msg);
    this.paint(card);
    this.refreshCard(key);
  },

  async refreshCard(key) {
    const card = this.cards.get(key);
    if (!card) return;
    const q = new URLSearchParams();
    if (card.data.ticket_id) q.set("ticket_id", card.data.ticket_id);
    if (card.data.caller_number) q.set("phone", card.data.caller_number);
    // Refreshes overlap (each update triggers one) and may finish out of order: only the
    // latest one started, and none started before a change the dispatcher just made, is painted.
    const seq = card.seq = (card.seq || 0) + 1;
    try {
      const info = await api("GET", "/api/console/card?" + q.toString());
      if (seq !== card.seq) return;
      if (info.ticket) {
        // A value pushed live (a transcript) may be newer than the row just read: keep it.
        for (const [k, v] of Object.entries(card.live || {})) if (info.ticket[k] == null) info.ticket[k] = v;
        Object.assign(card.data, info.ticket, { ticket_id: info.ticket.id });
      }
      card.recordings = info.recordings;
      card.history = info.history;
      card.building = info.building;
      this.paint(card);
    } catch (e) {
      this.say(card, e.message, true);
    }
  },

  paint(card) {
    const d = card.data, el = card.el;
    const text = {
      priority_label: d.priority_label || "", number: d.number ? "Заявка № " + d.number : "Входящий вызов",
      caller_phone: d.caller_phone || d.caller_number || "номер скрыт", caller_name: d.caller_name || "",
      address: d.address || "не указан", category_label: d.category_label || "—", problem_label: d.problem_label || "",
      status_label: d.status_label || "—", executor_name: d.executor_name || "не назначен",
      description: d.description || "—", transcript: d.transcript || (d.transcript_status === "failed" ? "не удалось распознать" : "ожидается…"),
      // What the words say: an unsure reading is shown as a guess, not as a fact.
      suggested: !d.suggested_category_label ? "—"
        : d.suggested_guess ? "возможно, " + d.suggested_category_label + "? (не уверено)" : d.suggested_category_label,
    };
    for (const [f, v] of Object.entries(text)) {
      const node = el.querySelector(`[data-f="${f}"]`);
      if (node) node.textContent = v;
    }
    el.querySelector('[data-f="transcript"]').classList.toggle("muted", !d.transcript);
    const emergency = !!card.emergency || d.priority === "emergency";
    el.classList.toggle("emergency", emergency);
    el.querySelector(".emergency-note").hidden = !card.emergency;
    const prio = el.querySelector('[data-f="priority_label"]');
    prio.className = "prio prio-" + (d.priority || "none");
    el.querySelector('[data-f="due"]').dataset.due = d.is_open === false ? "" : (d.next_due_at || d.due_at || "");
    const hasTicket = !!d.ticket_id;
    for (const n of el.querySelectorAll(".with-ticket")) n.hidden = !hasTicket;
    for (const n of el.querySelectorAll(".without-ticket")) n.hidden = hasTicket;
    el.querySelector('[data-f="ticket_link"]').href = hasTicket ? "/tickets/" + d.ticket_id : "#";
    el.querySelector('[data-f="create_link"]').href = "/tickets/new?phone=" + encodeURIComponent(d.caller_number || "");
    if (hasTicket) {
      this.setControl(el, "executor_id", d.executor_id);
      this.setControl(el, "category", d.category);
      this.setControl(el, "priority", d.priority);
      this.setControl(el, "building_id", d.building_id);
      this.setControl(el, "apartment", d.apartment);
      const st = el.querySelector('select[name="status"]');
      const allowed = (d.allowed_statuses || []).map((s) => s.value).join(",");
      if (st.dataset.shown !== allowed) {
        st.replaceChildren(...(d.allowed_statuses || []).map((s) => new Option(s.label, s.value)));
        st.dataset.shown = allowed;
      }
      el.querySelector('[data-act="accept"]').hidden = !["new", "reopened"].includes(d.status);
    }
    this.paintRecordings(card);
    this.paintLists(card);
    if (window.Training) window.Training.paint(card);
    tickCountdowns();
  },

  // Repaints come with every update; a control is only reset when the server's value changed,
  // so a choice the dispatcher is making is not undone under their hands.
  setControl(el, name, value) {
    const c = el.querySelector(`[name="${name}"]`);
    const v = value === null || value === undefined ? "" : String(value);
    if (c && c.dataset.shown !== v) { c.value = v; c.dataset.shown = v; }
  },

  paintRecordings(card) {
    const box = card.el.querySelector(".recordings");
    box.replaceChildren();
    for (const r of card.recordings || []) {
      const audio = document.createElement("audio");
      audio.controls = true;
      audio.preload = "none";
      audio.src = r.url;
      const label = document.createElement("span");
      label.textContent = "Запись: ";
      box.append(label, audio);
    }
  },

  paintExecutor(card) {
    // An executor calling from the field: their open tickets instead of a resident's history.
    const box = card.el.querySelector(".executor-tickets");
    const list = card.data.open_tickets;
    box.hidden = card.data.kind !== "executor";
    if (box.hidden) return;
    const ul = box.querySelector("ul");
    ul.replaceChildren(...(list && list.length ? list : [null]).map((t) => {
      const li = document.createElement("li");
      if (!t) { li.className = "muted"; li.textContent = "Открытых заявок нет"; return li; }
      const a = document.createElement("a");
      a.href = "/tickets/" + t.ticket_id;
      a.target = "_blank";
      a.textContent = t.ticket_number;
      const rest = document.createElement("span");
      rest.textContent = " " + (t.overdue ? "просрочена, " : "") + (t.address || "");
      if (t.overdue) li.className = "mass";
      li.append(a, rest);
      return li;
    }));
  },

  paintLists(card) {
    this.paintExecutor(card);
    const groups = card.el.querySelector(".groups");
    const gs = (card.building && card.building.groups) || [];
    groups.replaceChildren(...(gs.length ? gs : [null]).map((g) => {
      const li = document.createElement("li");
      if (!g) { li.className = "muted"; li.textContent = "Других открытых заявок по дому нет"; return li; }
      li.textContent = g.text + " (" + g.tickets.map((t) => t.number).join(", ") + ")";
      if (g.count >= 3) li.className = "mass";
      return li;
    }));
    const hist = card.el.querySelector(".history-list");
    const hs = card.history || [];
    hist.replaceChildren(...(hs.length ? hs.slice(0, 10) : [null]).map((t) => {
      const li = document.createElement("li");
      if (!t) { li.className = "muted"; li.textContent = "Прежних обращений нет"; return li; }
      const a = document.createElement("a");
      a.href = "/tickets/" + t.id;
      a.target = "_blank";
      a.textContent = t.number;
      const rest = document.createElement("span");
      rest.textContent = ` ${new Date(t.received_at).toLocaleDateString("ru-RU")} — ${t.category_label}, ${t.status_label}, ${t.address}`;
      li.append(a, rest);
      return li;
    }));
  },

  ticketUpdated(msg) {
    const card = this.findCard({ ticket_id: msg.ticket_id });
    if (!card) return;
    // Fields that came with the message (a transcript, say) show at once; then the full refresh.
    const fields = present(msg.fields || {});
    if (Object.keys(fields).length) {
      card.live = Object.assign(card.live || {}, fields);
      Object.assign(card.data, fields);
      this.paint(card);
    }
    this.refreshCard(card.key);
  },

  say(card, text, isError) {
    const m = card.el.querySelector(".msg");
    m.textContent = text;
    m.classList.toggle("error", !!isError);
  },

  async onCardClick(ev) {
    const btn = ev.target.closest("[data-act]");
    if (!btn) return;
    const el = btn.closest(".card");
    const card = this.cards.get(el.dataset.key);
    const id = card.data.ticket_id;
    const val = (name) => el.querySelector(`[name="${name}"]`).value;
    const act = btn.dataset.act;
    try {
      if (act === "close") { el.remove(); this.cards.delete(card.key); if (!this.cards.size) document.getElementById("cards-empty").hidden = false; return; }
      if (act === "callback") { await callBack(card.data.caller_phone || card.data.caller_number); return; }
      btn.disabled = true;
      let t = null;
      if (act === "accept") t = await api("POST", `/api/tickets/${id}/status`, { status: "accepted" });
      if (act === "assign") t = await api("POST", `/api/tickets/${id}/assign`, { executor_id: val("executor_id") ? Number(val("executor_id")) : null });
      if (act === "status") t = await api("POST", `/api/tickets/${id}/status`, { status: val("status"), comment: val("status_comment") || null });
      if (act === "edit") t = await api("PATCH", `/api/tickets/${id}`, {
        category: val("category"), priority: val("priority"),
        building_id: val("building_id") ? Number(val("building_id")) : null, apartment: val("apartment") || null });
      if (act === "comment") {
        await api("POST", `/api/tickets/${id}/comments`, { text: val("comment"), public: !el.querySelector('[name="private"]').checked });
        el.querySelector('[name="comment"]').value = "";
      }
      if (t) { card.seq = (card.seq || 0) + 1; Object.assign(card.data, t); }
      this.paint(card);
      this.say(card, { accept: "Заявка принята", assign: "Исполнитель назначен", status: "Статус изменён",
                       edit: "Изменения сохранены", comment: "Комментарий добавлен" }[act] || "Готово");
    } catch (e) {
      this.say(card, e.message, true);
    } finally {
      btn.disabled = false;
    }
  },
};

document.addEventListener("DOMContentLoaded", () => Console.start());
