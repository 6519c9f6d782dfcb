// Live updates on every staff page: one websocket (/ws), the work-queue counters in the header,
// the alert for a new emergency (sound and a browser notification, each muted per dispatcher),
// lists that refresh themselves, and the way back to log-in when the session has ended.
// The message types are those of cti/console/messages.py (a test checks the switch below).
"use strict";

const Live = {
  lastId: 0,
  epoch: "",
  socket: null,
  retry: 1000,
  calls: new Map(),       // call id -> last call_state
  queue: null,            // last /api/console/queue answer
  hooks: {},              // type -> [fn]: what a page adds (the console's cards)
  alerted: new Set(),     // emergencies already announced (ticket ids, call ids)

  on(type, fn) { (this.hooks[type] = this.hooks[type] || []).push(fn); },
  emit(type, msg) { for (const fn of this.hooks[type] || []) fn(msg); },

  start() {
    if (!document.body.dataset.live) return;
    this.startPresence();
    this.connect();
    this.loadQueue();
    setInterval(() => this.loadQueue(), 60000);   // what time alone changes: due -> overdue
    setInterval(() => this.renderCounters(), 1000);
    const mute = document.getElementById("alert-mute");
    if (mute) {
      this.paintMute();
      mute.addEventListener("click", () => {
        localStorage.setItem("hotline.mute", this.muted() ? "" : "1");
        if (!this.muted() && window.Notification && Notification.permission === "default") Notification.requestPermission();
        this.paintMute();
      });
    }
  },

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    // The ids are those of one server process (its epoch): after a restart the server replays
    // all it has and asks for a reload instead of skipping ids it never sent.
    const query = this.lastId ? `?last_id=${this.lastId}&epoch=${encodeURIComponent(this.epoch)}` : "";
    const ws = new WebSocket(`${scheme}://${location.host}/ws${query}`);
    this.socket = ws;
    ws.onopen = () => { this.retry = 1000; this.emit("link", true); };
    ws.onmessage = (ev) => this.onMessage(JSON.parse(ev.data));
    ws.onclose = async (ev) => {
      // 4401: the session was ended (log-out elsewhere, account switched off): log in again.
      if (ev.code === 4401) { toLogin(); return; }
      this.emit("link", false);
      // A handshake refused for want of a session (a restart with a new key) closes with no
      // code of ours: ask the API, which answers 401 then.
      try {
        const r = await fetch("/api/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (r.status === 401) { toLogin(); return; }
      } catch (e) { /* the server is away: keep trying */ }
      // Back off up to 10 s; the hub replays what was missed since lastId.
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 10000);
    };
  },

  onMessage(msg) {
    if (msg.id > this.lastId) this.lastId = msg.id;
    switch (msg.type) {
      case "hello":
        if (msg.epoch !== this.epoch) { this.epoch = msg.epoch; this.lastId = 0; }
        this.pbxNodes = { ...(msg.pbx_nodes || {}) };
        if (msg.pbx_connected !== null) this.pbx(msg.pbx_connected);
        this.calls.clear();
        for (const c of msg.calls) this.calls.set(c.call_id, c);
        this.emit("hello", msg);
        this.changed();
        break;
      case "resync":
        this.emit("resync", msg);
        this.changed();
        break;
      case "pbx_state":
        if (msg.node) (this.pbxNodes = this.pbxNodes || {})[msg.node] = msg.connected;
        this.pbx(msg.connected);
        break;
      case "call_state":
        if (msg.state === "ended") this.calls.delete(msg.call_id);
        else this.calls.set(msg.call_id, Object.assign(this.calls.get(msg.call_id) || {}, present(msg)));
        if (msg.state === "waiting" && msg.emergency) this.alarm("call:" + msg.call_id, "Аварийный вызов ждёт ответа: " + (msg.caller_number || "номер скрыт"));
        this.emit("call_state", msg);
        this.renderCounters();
        if (msg.state === "ended") this.changed();
        break;
      case "screen_pop":
        this.learnTicket(msg.call_id, msg.ticket_id);
        if (msg.emergency) this.alarm("call:" + (msg.call_id || msg.ticket_id), "Аварийный вызов: " + (msg.caller_number || ""));
        this.emit("screen_pop", msg);
        break;
      case "card_details":
        // What the journal knows of a card that popped a moment ago.
        this.learnTicket(msg.call_id, msg.ticket_id);
        this.emit("card_details", msg);
        break;
      case "ticket_registered":
        this.learnTicket(msg.call_id, msg.ticket_id);
        if (msg.emergency) this.alarm("ticket:" + msg.ticket_id, `Аварийная заявка № ${msg.ticket_number}: ${msg.category_label || ""}, ${msg.address || ""}`);
        this.emit("ticket_registered", msg);
        this.changed();
        break;
      case "ticket_updated":
        this.emit("ticket_updated", msg);
        this.changed();
        break;
      case "missed_changed":
        this.changed();
        break;
      case "presence":
        // A dispatcher of the shift changed state; mine also from another tab.
        this.paintPresence(msg);
        this.emit("presence", msg);
        break;
      case "security_alert":
        // Administrators only (the hub sends it to them): a pattern of password guessing.
        banner(msg.message);
        break;
    }
  },

  // My state (на линии / перерыв / не на смене): routing respects it; kept in the journal.
  async startPresence() {
    const sel = document.getElementById("presence");
    if (!sel) return;
    try {
      const mine = (await api("GET", "/api/dispatchers")).find((d) => String(d.user_id) === sel.dataset.userId);
      if (mine) this.paintPresence(mine);
    } catch (e) { /* the list stays at its default */ }
    sel.addEventListener("change", async () => {
      try {
        const r = await api("POST", "/api/me/presence", { state: sel.value });
        toast("Состояние: " + r.label);
      } catch (e) { toast(e.message, true); }
    });
  },

  paintPresence(msg) {
    const sel = document.getElementById("presence");
    if (!sel || String(msg.user_id) !== sel.dataset.userId) return;
    sel.value = msg.state;
    sel.className = "presence presence-" + msg.state;
  },

  // A call in the live list opens its card: it needs the call's ticket once there is one.
  learnTicket(callId, ticketId) {
    const call = callId && this.calls.get(callId);
    if (call && ticketId) call.ticket_id = ticketId;
  },

  // Several Asterisk nodes: calls reach the consoles while any of them is up; the header says
  // how many are («АТС: на связи 1 из 2») and its tooltip which.
  pbx(connected) {
    const nodes = Object.entries(this.pbxNodes || {});
    const up = nodes.filter(([, ok]) => ok).length;
    if (nodes.length > 1) connected = up > 0;
    const partial = nodes.length > 1 && up > 0 && up < nodes.length;
    const banner = document.getElementById("pbx-banner");
    if (banner) banner.hidden = connected;
    // The header's indicator shows the state at all times, not only when the link is down.
    const st = document.getElementById("pbx-state");
    if (st) {
      st.className = "pbx-state " + (partial ? "pbx-partial" : connected ? "pbx-up" : "pbx-down");
      st.textContent = (partial ? `АТС: на связи ${up} из ${nodes.length}` : connected ? "АТС: на связи" : "АТС: нет связи")
        + (st.dataset.standin ? " (имитатор)" : "");
      if (nodes.length > 1) {
        st.title = nodes.sort().map(([name, ok]) => `${name}: ${ok ? "на связи" : "нет связи"}`).join("; ");
      }
    }
  },

  // Something the queue and the live lists show may have changed: ask once for all of it,
  // 300 ms after the first change and at most every 2 s while changes keep coming (a steady
  // stream must neither starve the refresh nor turn into one request per message).
  changed() {
    if (this.pending) return;
    const wait = Math.max(300, 2000 - (Date.now() - (this.refreshedAt || 0)));
    this.pending = setTimeout(() => {
      this.pending = null;
      this.refreshedAt = Date.now();
      this.loadQueue();
      this.refreshLists();
    }, wait);
  },

  async loadQueue() {
    if (!document.getElementById("queue-bar")) return;
    try {
      this.queue = await api("GET", "/api/console/queue");
      this.renderCounters();
      this.warnDeadlines(this.queue);
      this.emit("queue", this.queue);
    } catch (e) { /* the next change or minute asks again */ }
  },

  waiting() {
    // Emergencies first, then the longest waiting; a position the server gave wins.
    return [...this.calls.values()].filter((c) => c.state === "waiting" || c.state === "queued").sort((a, b) =>
      (b.emergency ? 1 : 0) - (a.emergency ? 1 : 0) || String(a.waiting_since || "").localeCompare(String(b.waiting_since || "")));
  },

  renderCounters() {
    const bar = document.getElementById("queue-bar");
    if (!bar) return;
    const q = this.queue || { counts: {} };
    const counts = Object.assign({ waiting: this.waiting().length }, q.counts);
    for (const el of bar.querySelectorAll("[data-count]")) {
      const n = counts[el.dataset.count];
      el.querySelector("b").textContent = n === undefined ? "…" : n;
      el.classList.toggle("hot", !!n && ["waiting", "overdue", "callbacks"].includes(el.dataset.count));
    }
  },

  // Pages whose <main> lists what the messages change (journal, missed calls, monitor) reload
  // it in place; not while the user types in it.
  async refreshLists() {
    const main = document.querySelector("main[data-live-list]");
    if (!main) return;
    // Not under the hands of someone typing, or with tickets ticked for a bulk change.
    const busy = (document.activeElement && main.contains(document.activeElement) &&
      ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) ||
      !!main.querySelector("input[data-bulk-id]:checked");
    if (busy) { clearTimeout(this.listRetry); this.listRetry = setTimeout(() => this.refreshLists(), 3000); return; }
    try {
      const r = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (r.status === 401) { toLogin(); return; }
      if (!r.ok) return;
      const doc = new DOMParser().parseFromString(await r.text(), "text/html");
      const fresh = doc.querySelector("main[data-live-list]");
      if (fresh) { main.replaceChildren(...fresh.childNodes); tickCountdowns(); this.emit("list_refreshed", main); }
    } catch (e) { /* next change */ }
  },

  muted() { return localStorage.getItem("hotline.mute") === "1"; },

  paintMute() {
    const b = document.getElementById("alert-mute");
    b.textContent = this.muted() ? "🔕 Звук выключен" : "🔔 Звук включён";
    b.setAttribute("aria-pressed", this.muted() ? "true" : "false");
  },

  // A new emergency: a tone and a browser notification, once per call or ticket.
  // A ticket whose deadline is minutes away: the alarm once (the queue is asked at least once a
  // minute, so a deadline is warned of 10 to 15 minutes before it passes).
  warnDeadlines(queue) {
    const now = Date.now();
    for (const t of queue.due_soon || []) {
      const left = t.next_due_at ? (Date.parse(t.next_due_at) - now) / 60000 : Infinity;
      if (left > 0 && left <= 15) {
        this.alarm("due:" + t.id, `Срок заявки № ${t.number} истекает через ${Math.ceil(left)} мин: ${t.category_label}, ${t.address}`);
      }
    }
  },

  alarm(key, text) {
    if (this.alerted.has(key)) return;
    this.alerted.add(key);
    const note = document.getElementById("alarm");
    if (note) { note.textContent = text; note.hidden = false; setTimeout(() => { note.hidden = true; }, 15000); }
    if (this.muted()) return;
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      for (let i = 0; i < 3; i++) {
        const osc = ctx.createOscillator();
        osc.frequency.value = 880;
        osc.connect(ctx.destination);
        osc.start(ctx.currentTime + i * 0.4);
        osc.stop(ctx.currentTime + i * 0.4 + 0.25);
      }
    } catch (e) { /* no audio device */ }
    if (window.Notification && Notification.permission === "granted") new Notification("АДС: авария", { body: text, tag: key });
  },
};

function present(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined));
}

function toLogin() {
  location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
}

function banner(text) {
  // Text, never HTML (the login in it is an attacker's string).
  const el = document.createElement("div");
  el.className = "banner security-alert";
  el.setAttribute("role", "alert");
  el.textContent = text;
  document.querySelector("main, body").prepend(el);
}

document.addEventListener("DOMContentLoaded", () => Live.start());
