// The new-ticket form: a known phone fills the resident's name, house and flat and shows their
// open tickets (a repeat is seen before it is made); the house list filters as you type.
"use strict";

const NewTicket = {
  start() {
    const form = document.querySelector('form[data-api="/api/tickets"]');
    if (!form) return;
    const phone = form.elements["caller_phone"];
    let timer = null;
    phone.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => this.lookup(form), 400); });
    if (phone.value) this.lookup(form);
    const filter = document.getElementById("building-filter");
    filter.addEventListener("input", () => this.filterBuildings(form.elements["building_id"], filter.value));
  },

  async lookup(form) {
    const box = document.getElementById("known");
    const phone = form.elements["caller_phone"].value.trim();
    if (phone.replace(/\D/g, "").length < 5) { box.hidden = true; return; }
    let r;
    try { r = await api("GET", "/api/residents/lookup?phone=" + encodeURIComponent(phone)); } catch (e) { return; }
    box.replaceChildren();
    if (r.known) {
      const set = (name, value) => { const el = form.elements[name]; if (el && !el.value && value !== null) el.value = String(value); };
      set("caller_name", r.name);
      set("building_id", r.building_id);
      set("apartment", r.apartment);
      const who = document.createElement("p");
      who.textContent = `Известный житель: ${r.name || "без имени"}${r.address ? ", " + r.address : ""}`;
      box.append(who);
    }
    if (r.open_tickets.length) {
      const p = document.createElement("p");
      p.className = "warn";
      p.append("Открытые заявки по этому телефону: ");
      r.open_tickets.forEach((t, i) => {
        const a = document.createElement("a");
        a.href = "/tickets/" + t.id;
        a.textContent = `№ ${t.number} (${t.category_label}, ${t.status_label})`;
        if (i) p.append(", ");
        p.append(a);
      });
      p.append(" — если обращение о том же, откройте заявку вместо новой.");
      box.append(p);
    }
    box.hidden = !box.childNodes.length;
  },

  filterBuildings(select, text) {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    let first = null;
    for (const opt of select.options) {
      if (!opt.value) continue;
      const hit = words.every((w) => opt.text.toLowerCase().includes(w));
      opt.hidden = !hit;
      if (hit && !first) first = opt;
    }
    const current = select.selectedOptions[0];
    if (first && words.length && (!select.value || (current && current.hidden))) select.value = first.value;
  },
};

document.addEventListener("DOMContentLoaded", () => NewTicket.start());
