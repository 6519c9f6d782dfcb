// The dispatcher console: the /ws event stream, the live call list and screen-pop cards.
// Every value from the server is put in with textContent, never innerHTML: a transcript or a
// name containing markup is shown as text.
"use strict";

// present() (live.js) drops null values: a message carries what it knows, and must not blank
// what the card shows.
const CALL_STATES = {
  menu: "голосовое меню", recording: "запись обращения", waiting: "ждёт диспетчера", talking: "разговор",
  ringing: "звонок", ivr: "автоответчик", queued: "в очереди", answered: "разговор",
};

const Console = {
  cards: new Map(),   // key (ticket id or "call:<id>") -> {el, data}
  statusLabels: {},

  start() {
    this.me = document.getElementById("console").dataset.extension;
    this.showHandover();
    document.getElementById("cards").addEventListener("click", (ev) => this.onCardClick(ev));
    document.getElementById("calls-list").addEventListener("click", (ev) => this.onCallClick(ev));
    document.getElementById("queue").addEventListener("click", (ev) => this.onQueueClick(ev));
    Live.on("link", (up) => this.setLink(up));
    Live.on("hello", (msg) => {
      this.renderCalls();
      // The cards of calls still live come back after F5 or a reconnect.
      for (const card of msg.cards || []) this.pop(card, { quiet: true });
    });
    Live.on("resync", () => { for (const key of this.cards.keys()) this.refreshCard(key); });
    Live.on("call_state", () => this.renderCalls());
    Live.on("screen_pop", (msg) => this.pop(msg));
    Live.on("card_details", (msg) => this.details(msg));
    Live.on("ticket_updated", (msg) => this.ticketUpdated(msg));
    Live.on("ticket_registered", (msg) => { if (msg.emergency) this.pop(Object.assign({ stage: "registered" }, msg)); });
    Live.on("queue", () => this.renderQueue());
    this.restore();
    setInterval(() => this.tickWaits(), 1000);
  },

  setLink(up) {
    const el = document.getElementById("ws-state");
    el.classList.toggle("up", up);
    el.title = up ? "Соединение с сервером установлено" : "Нет соединения с сервером, переподключение…";
    // Not a dot alone: a dispatcher must see at once that the screen has stopped updating.
    document.getElementById("ws-banner").hidden = up;
  },

  // Cards opened in this tab, kept over F5 (sessionStorage: this tab only, gone with it).
  save() {
    const keep = [...this.cards.values()].map((c) => ({ key: c.key, call_id: c.data.call_id, ticket_id: c.data.ticket_id,
      caller_number: c.data.caller_number, emergency: !!c.emergency, extension: c.data.extension, stage: c.data.stage }));
    sessionStorage.setItem("hotline.cards", JSON.stringify(keep));
  },

  restore() {
    let kept = [];
    try { kept = JSON.parse(sessionStorage.getItem("hotline.cards") || "[]"); } catch (e) { kept = []; }
    for (const c of kept.reverse()) this.pop(present(c), { quiet: true });
  },

  renderCalls() {
    const list = document.getElementById("calls-list");
    list.replaceChildren();
    const calls = [...Live.calls.values()];
    if (!calls.length) {
      const li = document.createElement("li");
      li.className = "muted empty";
      li.textContent = "Активных звонков нет";
      list.append(li);
      return;
    }
    // Waiting callers first (emergencies, then the longest waiting), then the rest.
    const waiting = Live.waiting();
    const others = calls.filter((c) => !waiting.includes(c));
    waiting.forEach((c, i) => { c.shownPosition = c.position || i + 1; });
    for (const c of [...waiting, ...others]) {
      const li = document.createElement("li");
      li.className = "call state-" + c.state + (c.emergency ? " emergency" : "") + (c.extension && c.extension === this.me ? " mine" : "");
      li.dataset.call = c.call_id;
      li.tabIndex = 0;
      li.title = "Открыть карточку звонка";
      const who = document.createElement("strong");
      who.textContent = c.caller_number || "номер скрыт";
      const name = document.createElement("span");
      name.className = "muted";
      name.textContent = " " + (c.caller_name || "");
      const st = document.createElement("span");
      st.className = "call-state";
      let text = CALL_STATES[c.state] || "вызов";
      if (c.state === "waiting" || c.state === "queued") text = `№ ${c.shownPosition} в очереди, ` + text;
      if (c.emergency) text = "АВАРИЯ, " + text;
      if (c.extension) text += ", вн. " + c.extension + (c.extension === this.me ? " (вы)" : "");
      st.textContent = text;
      li.append(who, name, document.createElement("br"), st);
      if (c.waiting_since && (c.state === "waiting" || c.state === "queued")) {
        const w = document.createElement("span");
        w.className = "wait";
        w.dataset.since = c.waiting_since;
        li.append(" ", w);
      }
      list.append(li);
    }
    this.tickWaits();
  },

  tickWaits() {
    for (const el of document.querySelectorAll("[data-since]")) {
      const s = Math.max(0, Math.floor((Date.now() - new Date(el.dataset.since).getTime()) / 1000));
      el.textContent = "ждёт " + pad(Math.floor(s / 60)) + ":" + pad(s % 60);
      el.classList.toggle("late", s >= 30);
    }
  },

  onCallClick(ev) {
    const li = ev.target.closest("li[data-call]");
    if (!li) return;
    const c = Live.calls.get(li.dataset.call);
    if (c) this.pop(present({ call_id: c.call_id, caller_number: c.caller_number, caller_name: c.caller_name,
                              ticket_id: c.ticket_id, emergency: c.emergency, extension: c.extension }), { quiet: true });
  },

  onQueueClick(ev) {
    const a = ev.target.closest("[data-open-ticket]");
    if (!a) return;
    ev.preventDefault();
    this.pop({ ticket_id: Number(a.dataset.openTicket) }, { quiet: true });
  },

  renderQueue() {
    const q = Live.queue;
    if (!q) return;
    const box = document.getElementById("queue");
    const sections = [
      ["new", "Новые, не приняты"], ["callbacks", "Перезвонить"], ["due_soon", "Срок в течение часа"],
      ["overdue", "Просрочены"], ["unassigned", "Без исполнителя"],
    ];
    box.replaceChildren(...sections.map(([name, title]) => {
      const sec = document.createElement("section");
      sec.className = "queue-section q-" + name;
      const h = document.createElement("h3");
      h.textContent = `${title} (${q.counts[name] || 0})`;
      const ul = document.createElement("ul");
      for (const it of q[name] || []) {
        const li = document.createElement("li");
        if (name === "callbacks") {
          const b = document.createElement("button");
          b.type = "button";
          b.className = "link";
          b.dataset.callback = it.caller_number || "";
          b.textContent = it.caller_number || "номер скрыт";
          const due = document.createElement("span");
          due.dataset.due = it.callback_due_at;
          const why = document.createElement("span");
          why.className = "muted";
          why.textContent = " " + it.reason_label;
          li.append(b, " ", due, why);
        } else {
          if (it.emergency) li.className = "emergency";
          const a = document.createElement("a");
          a.href = "/tickets/" + it.id;
          a.dataset.openTicket = it.id;
          a.textContent = it.number;
          const rest = document.createElement("span");
          rest.textContent = ` ${it.category_label}, ${it.address} `;
          const due = document.createElement("span");
          due.dataset.due = it.next_due_at || "";
          li.append(a, rest, due);
        }
        ul.append(li);
      }
      if (!ul.children.length) {
        const li = document.createElement("li");
        li.className = "muted";
        li.textContent = "нет";
        ul.append(li);
      }
      sec.append(h, ul);
      return sec;
    }));
    tickCountdowns();
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

  // More of a card that popped: merged in (no card of this call here: nothing to do).
  details(msg) {
    const card = this.findCard({ call_id: msg.call_id });
    if (!card) return;
    Object.assign(card.data, present(msg));
    this.paint(card);
    if (msg.ticket_id) this.refreshCard(card.key);
    this.save();
  },

  pop(msg, opts) {
    let card = this.findCard(msg);
    msg = present(msg);
    const key = card ? card.key : (msg.key || "card-" + (msg.call_id || msg.ticket_id || msg.id));
    if (!card) {
      const el = document.getElementById("card-template").content.firstElementChild.cloneNode(true);
      card = { el, data: {}, key };
      this.cards.set(key, card);
      document.getElementById("cards").prepend(el);
      document.getElementById("cards-empty").hidden = true;
    }
    delete msg.key;
    card.el.dataset.key = key;
    // Once an emergency, the card stays marked: a later pop of the same call may not say so.
    card.emergency = card.emergency || !!msg.emergency;
    if (msg.reasons && msg.reasons.length) {
      card.el.querySelector(".emergency-note").textContent = "Аварийная заявка: " + msg.reasons.join("; ");
    }
    Object.assign(card.data, msg);
    this.paint(card);
    this.refreshCard(key);
    this.save();
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
      caller_phone: d.caller_phone || d.caller_number || "номер скрыт", caller_name: d.caller_name || d.known_name || "",
      address: d.address || d.known_address || "не указан", category_label: d.category_label || "—", problem_label: d.problem_label || "",
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
    // The call this dispatcher is on: marked, so it stands out among the shift's emergency cards.
    const live = d.call_id ? Live.calls.get(d.call_id) : null;
    const mine = !!this.me && ((d.extension === this.me && d.stage === "answered") ||
                               (!!live && live.extension === this.me && ["talking", "answered"].includes(live.state)));
    el.classList.toggle("mine", mine);
    el.querySelector(".mine-note").hidden = !mine;
    const ended = !!d.call_id && !live;
    el.classList.toggle("ended", ended);
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
      this.offerSorting(el, d);
      const st = el.querySelector('select[name="status"]');
      const allowed = (d.allowed_statuses || []).map((s) => s.value).join(",");
      if (st.dataset.shown !== allowed) {
        st.replaceChildren(...(d.allowed_statuses || []).map((s) => new Option(s.label, s.value)));
        st.dataset.shown = allowed;
      }
      // «Принять» until a person has handled the ticket (the voice menu may have assigned it already).
      el.querySelector('[data-act="accept"]').hidden = !(["new", "reopened"].includes(d.status) ||
        (d.handled === false && ["assigned"].includes(d.status)));
    }
    this.paintRecordings(card);
    this.paintLists(card);
    if (window.Training) window.Training.paint(card);
    tickCountdowns();
  },

  // Repaints come with every update; a control is only reset when the server's value changed,
  // so a choice the dispatcher is making is not undone under their hands.
  // The note the previous shift left («Передача смены»), until this dispatcher has read it.
  async showHandover() {
    let note = null;
    try { note = await api("GET", "/api/shift/notes/latest"); } catch (e) { return; }
    if (!note || localStorage.getItem("hotline.handover.seen") === note.at) return;
    const box = document.createElement("div");
    box.id = "handover-note";
    box.className = "banner handover";
    const when = new Date(note.at).toLocaleString("ru-RU", { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });
    const head = document.createElement("b");
    head.textContent = `Передача смены — ${note.author}, ${when}: `;
    const text = document.createElement("span");
    text.textContent = note.text;
    const ok = document.createElement("button");
    ok.type = "button";
    ok.className = "link";
    ok.textContent = "Прочитано";
    ok.addEventListener("click", () => { localStorage.setItem("hotline.handover.seen", note.at); box.remove(); });
    box.append(head, text, " ", ok);
    const main = document.querySelector("main");
    main.insertBefore(box, main.firstChild);
  },

  // A ticket not yet sorted (a dispatcher-answered call is «Прочее» with no address): the
  // category, priority and address controls are open at once, with the category the words
  // suggest already chosen — one click on «Сохранить» instead of five.
  offerSorting(el, d) {
    const edit = el.querySelector("details.edit");
    if (!edit.dataset.offered && (d.category === "other" || !d.building_id)) {
      edit.open = true;
      edit.dataset.offered = "1";
    }
    const cat = el.querySelector('select[name="category"]');
    const hint = el.querySelector('[data-f="sort_hint"]');
    const guess = d.category === "other" && d.suggested_category && d.suggested_category !== "other";
    if (guess && !edit.dataset.touched) cat.value = d.suggested_category;
    if (hint) hint.hidden = !guess;
    if (!edit.dataset.watched) {
      edit.dataset.watched = "1";
      edit.addEventListener("change", () => { edit.dataset.touched = "1"; });
    }
  },

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
      label.textContent = (r.title || "Запись") + ": ";
      box.append(label, audio);
    }
  },

  paintExecutor(card) {
    // An executor calling from the field: their open tickets instead of a resident's history.
    const box = card.el.querySelector(".executor-tickets");
    const list = card.data.open_tickets;
    // An executor's tickets, or a known resident's open ones (shown while the phone still rings).
    box.hidden = card.data.kind !== "executor" && !(list && list.length);
    if (box.hidden) return;
    box.querySelector("h3").textContent = card.data.kind === "executor" ? "Открытые заявки исполнителя" : "Открытые заявки абонента";
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
      if (act === "close") { el.remove(); this.cards.delete(card.key); this.save(); if (!this.cards.size) document.getElementById("cards-empty").hidden = false; return; }
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
        el.querySelector('[name="private"]').checked = false;  // the next comment is public unless ticked again
      }
      if (t) { card.seq = (card.seq || 0) + 1; Object.assign(card.data, t); }
      card.data.handled = true;  // a person has just handled it
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
