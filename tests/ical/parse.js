// Reads an .ics file on stdin, parses it with ical.js (the parser of Thunderbird) and prints
// what a calendar client would take from it as JSON; used by tests/test_calendar.py.
"use strict";

const ICAL = require("ical.js");

function utc(time) {
  // toJSDate() applies the zone registered for the TZID; without it the time would float.
  return time ? time.toJSDate().toISOString().replace(".000Z", "Z") : null;
}

function address(property) {
  const value = property.getFirstValue() || "";
  return value.replace(/^mailto:/i, "");
}

function main(text) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  // ical.js 2 also finds a TZID's VTIMEZONE in the component tree by itself; registering
  // makes sure the file's own definition is used, never a built-in one.
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
  }
  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    const organizer = vevent.getFirstProperty("organizer");
    return {
      uid: event.uid,
      sequence: event.sequence,
      summary: event.summary,
      location: event.location,
      description: event.description,
      status: vevent.getFirstPropertyValue("status"),
      start_utc: utc(event.startDate),
      end_utc: utc(event.endDate),
      start_zone: event.startDate.zone ? event.startDate.zone.tzid : null,
      recurrence_id_utc: utc(event.recurrenceId),
      organizer: organizer ? address(organizer) : null,
      organizer_cn: organizer ? organizer.getParameter("cn") || null : null,
      language: vevent.getFirstProperty("summary").getParameter("language") || null,
      attendees: event.attendees.map((attendee) => ({
        email: address(attendee),
        cn: attendee.getParameter("cn") || null,
        partstat: attendee.getParameter("partstat") || null,
        rsvp: attendee.getParameter("rsvp") || null,
      })),
    };
  });
  return {
    method: calendar.getFirstPropertyValue("method"),
    name: calendar.getFirstPropertyValue("x-wr-calname"),
    timezones: calendar.getAllSubcomponents("vtimezone").map((zone) =>
      zone.getFirstPropertyValue("tzid")
    ),
    events,
  };
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify(main(Buffer.concat(chunks).toString("utf8"))) + "\n");
});
