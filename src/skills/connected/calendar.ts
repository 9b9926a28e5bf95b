import ICAL from 'ical.js';
import type { DAVCalendar } from 'tsdav';
import type { DavClient } from '../../connections/protocols/caldav';
import { SkillError } from '../skill';

/** Most occurrences one recurring event contributes to a listing (a daily rule over years stays bounded). */
const MAX_OCCURRENCES = 500;
const MAX_DESCRIPTION = 2_000;

export interface CalendarEvent {
  uid: string;
  summary: string | null;
  start: string;
  end: string;
  all_day: boolean;
  location: string | null;
  description: string | null;
  /** The occurrence's original start, for an occurrence of a recurring event. */
  recurrence_id: string | null;
  url: string;
}

export const CALENDAR_EVENT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['uid', 'summary', 'start', 'end', 'all_day', 'location', 'description', 'recurrence_id', 'url'],
  properties: {
    uid: { type: 'string' },
    summary: { type: ['string', 'null'] },
    start: { type: 'string' },
    end: { type: 'string' },
    all_day: { type: 'boolean' },
    location: { type: ['string', 'null'] },
    description: { type: ['string', 'null'] },
    recurrence_id: { type: ['string', 'null'] },
    url: { type: 'string' },
  },
} as const;

/** The calendar `wanted` names (its display name or URL), else the connection's, else the first one. */
export async function pickCalendar(client: DavClient, wanted: string | undefined): Promise<DAVCalendar> {
  const calendars = await client.fetchCalendars();
  if (calendars.length === 0) throw new SkillError('the CalDAV account has no calendar');
  if (!wanted) return calendars[0];
  const trimmed = (u: string) => u.replace(/\/+$/, '');
  const found = calendars.find(
    (c) =>
      trimmed(c.url) === trimmed(wanted) ||
      trimmed(new URL(c.url).pathname) === trimmed(wanted) ||
      (typeof c.displayName === 'string' && c.displayName.toLowerCase() === wanted.toLowerCase()),
  );
  if (!found) {
    const names = calendars.map((c) => (typeof c.displayName === 'string' ? c.displayName : c.url)).join(', ');
    throw new SkillError(`no calendar named ${wanted} (the account has: ${names})`);
  }
  return found;
}

const cut = (text: string | null) =>
  text && text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}…` : text;

/**
 * The events of one calendar object that overlap [start, end): a single event as it is, a
 * recurring one expanded into its occurrences in the range (exceptions applied), at most
 * MAX_OCCURRENCES each.
 */
export function eventsInRange(data: string, url: string, start: Date, end: Date): CalendarEvent[] {
  const calendar = ICAL.Component.fromString(data);
  for (const zone of calendar.getAllSubcomponents('vtimezone')) {
    ICAL.TimezoneService.register(new ICAL.Timezone(zone));
  }
  const vevents = calendar.getAllSubcomponents('vevent');
  const masters = vevents.filter((v) => !v.hasProperty('recurrence-id'));
  const found: CalendarEvent[] = [];
  for (const master of masters) {
    const event = new ICAL.Event(master);
    for (const exception of vevents.filter((v) => v.hasProperty('recurrence-id'))) {
      if (exception.getFirstPropertyValue('uid') === event.uid) event.relateException(exception);
    }
    const shape = (
      item: ICAL.Event,
      from: ICAL.Time,
      to: ICAL.Time,
      recurrenceId: ICAL.Time | null,
    ): CalendarEvent => ({
      uid: event.uid,
      summary: item.summary ?? null,
      start: from.toJSDate().toISOString(),
      end: to.toJSDate().toISOString(),
      all_day: from.isDate,
      location: item.location ?? null,
      description: cut(item.description ?? null),
      recurrence_id: recurrenceId ? recurrenceId.toJSDate().toISOString() : null,
      url,
    });
    if (!event.isRecurring()) {
      if (event.startDate.toJSDate() < end && event.endDate.toJSDate() > start) {
        found.push(shape(event, event.startDate, event.endDate, null));
      }
      continue;
    }
    const iterator = event.iterator();
    for (let n = 0, next = iterator.next(); next && n < MAX_OCCURRENCES; next = iterator.next()) {
      if (next.toJSDate() >= end) break;
      // ical.js's typings leave this type unresolved: it is named here.
      const details: unknown = event.getOccurrenceDetails(next);
      const occurrence = details as Occurrence;
      if (occurrence.endDate.toJSDate() > start) {
        found.push(shape(occurrence.item, occurrence.startDate, occurrence.endDate, occurrence.recurrenceId));
        n++;
      }
    }
  }
  return found;
}

interface Occurrence {
  item: ICAL.Event;
  startDate: ICAL.Time;
  endDate: ICAL.Time;
  recurrenceId: ICAL.Time;
}

/** A VCALENDAR with one VEVENT in UTC: what calendar_create_event PUTs. */
export function eventIcs(event: {
  uid: string;
  summary: string;
  start: Date;
  end: Date;
  description?: string;
  location?: string;
  attendees?: string[];
  organizer?: string;
}): string {
  const calendar = new ICAL.Component(['vcalendar', [], []]);
  calendar.updatePropertyWithValue('prodid', '-//AOS//calendar_create_event//EN');
  calendar.updatePropertyWithValue('version', '2.0');
  const vevent = new ICAL.Component('vevent');
  vevent.updatePropertyWithValue('uid', event.uid);
  vevent.updatePropertyWithValue('dtstamp', ICAL.Time.fromJSDate(new Date(), true));
  vevent.updatePropertyWithValue('dtstart', ICAL.Time.fromJSDate(event.start, true));
  vevent.updatePropertyWithValue('dtend', ICAL.Time.fromJSDate(event.end, true));
  vevent.updatePropertyWithValue('summary', event.summary);
  if (event.description) vevent.updatePropertyWithValue('description', event.description);
  if (event.location) vevent.updatePropertyWithValue('location', event.location);
  if (event.organizer) vevent.updatePropertyWithValue('organizer', `mailto:${event.organizer}`);
  for (const attendee of event.attendees ?? []) vevent.addPropertyWithValue('attendee', `mailto:${attendee}`);
  calendar.addSubcomponent(vevent);
  return calendar.toString();
}
