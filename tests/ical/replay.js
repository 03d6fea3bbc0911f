// Replays one invitee's iTIP messages in order, as a calendar client keeps them, and prints
// the meetings the calendar then shows as JSON; used by tests/test_meeting_defects.py.
// Input on stdin: a JSON array of .ics texts. REQUEST adds or replaces (a message with the
// master replaces the whole event); CANCEL removes one occurrence, or the whole event.
"use strict";

const ICAL = require("ical.js");

function utc(time) {
  return time.toJSDate().toISOString().replace(".000Z", "Z");
}

function replay(messages) {
  const store = new Map(); // uid -> {master, overrides: Map(recurrence utc -> vevent|null)}
  for (const text of messages) {
    const calendar = new ICAL.Component(ICAL.parse(text));
    for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
      ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
    }
    const method = calendar.getFirstPropertyValue("method");
    const vevents = calendar.getAllSubcomponents("vevent");
    const uid = vevents[0].getFirstPropertyValue("uid");
    const master = vevents.find((v) => !v.hasProperty("recurrence-id"));
    if (method === "CANCEL") {
      if (master) store.delete(uid);
      for (const v of vevents.filter((v) => v.hasProperty("recurrence-id"))) {
        const entry = store.get(uid);
        if (entry) entry.overrides.set(utc(new ICAL.Event(v).recurrenceId), null);
      }
      continue;
    }
    if (master) store.set(uid, { master, overrides: new Map() });
    for (const v of vevents.filter((v) => v.hasProperty("recurrence-id"))) {
      const entry = store.get(uid) || { master: null, overrides: new Map() };
      entry.overrides.set(utc(new ICAL.Event(v).recurrenceId), v);
      store.set(uid, entry);
    }
  }
  const shown = [];
  for (const entry of store.values()) {
    if (!entry.master) {
      for (const v of entry.overrides.values()) if (v) shown.push(v);
      continue;
    }
    const event = new ICAL.Event(entry.master);
    if (!event.isRecurring()) {
      shown.push(entry.master);
      continue;
    }
    const iterator = event.iterator();
    for (let next = iterator.next(); next; next = iterator.next()) {
      const key = utc(next);
      if (entry.overrides.has(key)) {
        const override = entry.overrides.get(key);
        if (override) shown.push(override);
        continue;
      }
      const duration = event.endDate.subtractDate(event.startDate);
      const end = next.clone();
      end.addDuration(duration);
      shown.push({ start: utc(next), end: utc(end), summary: event.summary });
    }
  }
  return shown
    .map((v) => {
      if (v.start) return v;
      const e = new ICAL.Event(v);
      return { start: utc(e.startDate), end: utc(e.endDate), summary: e.summary };
    })
    .sort((a, b) => a.start.localeCompare(b.start));
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const messages = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  process.stdout.write(JSON.stringify(replay(messages)) + "\n");
});
