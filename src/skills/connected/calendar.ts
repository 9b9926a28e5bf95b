import ICAL from 'ical.js';
import type { DAVCalendar } from 'tsdav';
import type { DavClient } from '../../protocols/caldav';
import { SkillError } from '../skill';

/** Most occurrences one recurring event contributes to a listing; more mark it truncated. */
const MAX_OCCURRENCES = 500;
const MAX_DESCRIPTION = 2_000;

/**
 * Most recurrence steps one listing spends. A step is every candidate time ical.js looks at,
 * also those the rule rejects (FREQ=SECONDLY;BYMONTH=2 looks at every second until February):
 * 10-30 µs each, so recurrences cost a listing at most about half a second of CPU. Past it, the
 * occurrences not yet found are left out and the listing says it is truncated. An ordinary rule
 * needs a few steps per occurrence in the range: long-running ones start near it (skipAheadStart).
 */
export const MAX_EXPANSION_STEPS = 20_000;
/** Most steps of those one recurring event may spend, so that one bad event leaves the others theirs. */
export const MAX_EVENT_STEPS = 5_000;
/** A backstop on wall time for the same budget, should single steps be slower than measured. */
const MAX_EXPANSION_MS = 500;

/** The recurrence budget of one listing, shared by all its calendar objects. */
export class ExpansionBudget {
  private steps = 0;
  private readonly deadline: number;

  constructor(
    private readonly maxSteps = MAX_EXPANSION_STEPS,
    maxMs = MAX_EXPANSION_MS,
  ) {
    this.deadline = performance.now() + maxMs;
  }

  /** Spends one step; false when none was left. */
  take(): boolean {
    return ++this.steps <= this.maxSteps && performance.now() < this.deadline;
  }
}

class BudgetSpent extends Error {}

/** The events of a calendar object in a range, and whether some may be missing. */
export interface EventsFound {
  events: CalendarEvent[];
  /** An event's occurrences were cut (by MAX_OCCURRENCES or the budget), or an event could not be read. */
  truncated: boolean;
}

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
    throw new SkillError(`no calendar named ${wanted} (the account has: ${names})`, false, true);
  }
  return found;
}

const cut = (text: string | null) =>
  text && text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}…` : text;

/**
 * The events of one calendar object that overlap [start, end): a single event as it is, a
 * recurring one expanded into its occurrences in the range (exceptions applied), at most
 * MAX_OCCURRENCES each, the expansion paid for from `budget`. Time zones are the object's own
 * VTIMEZONEs: nothing is registered in ical.js's process-wide TimezoneService, so one calendar
 * cannot redefine a zone for another agent's. Bad data (an unparseable object, a rule ical.js
 * refuses) leaves the event out and marks the result truncated rather than failing the listing.
 */
export function eventsInRange(
  data: string,
  url: string,
  start: Date,
  end: Date,
  budget = new ExpansionBudget(),
): EventsFound {
  let calendar: ICAL.Component;
  try {
    calendar = ICAL.Component.fromString(data);
  } catch {
    return { events: [], truncated: true };
  }
  const vevents = calendar.getAllSubcomponents('vevent');
  const exceptionsOf = new Map<string, ICAL.Component[]>();
  for (const v of vevents) {
    if (!v.hasProperty('recurrence-id')) continue;
    const uid = String(v.getFirstPropertyValue('uid'));
    exceptionsOf.set(uid, [...(exceptionsOf.get(uid) ?? []), v]);
  }
  const found: EventsFound = { events: [], truncated: false };
  for (const master of vevents.filter((v) => !v.hasProperty('recurrence-id'))) {
    try {
      const event = new ICAL.Event(master);
      for (const exception of exceptionsOf.get(String(event.uid)) ?? []) event.relateException(exception);
      if (!event.isRecurring()) {
        if (event.startDate.toJSDate() < end && event.endDate.toJSDate() > start) {
          found.events.push(shape(event.uid, url, event, event.startDate, event.endDate, null));
        }
        continue;
      }
      const expanded = occurrences(event, url, start, end, budget);
      found.events.push(...expanded.events);
      found.truncated ||= expanded.truncated;
    } catch {
      // ical.js refuses some rules (BYYEARDAY in a WEEKLY rule, nothing but EXDATEs): not this event.
      found.truncated = true;
    }
  }
  return found;
}

function shape(
  uid: string,
  url: string,
  item: ICAL.Event,
  from: ICAL.Time,
  to: ICAL.Time,
  recurrenceId: ICAL.Time | null,
): CalendarEvent {
  return {
    uid,
    summary: item.summary ?? null,
    start: from.toJSDate().toISOString(),
    end: to.toJSDate().toISOString(),
    all_day: from.isDate,
    location: item.location ?? null,
    description: cut(item.description ?? null),
    recurrence_id: recurrenceId ? recurrenceId.toJSDate().toISOString() : null,
    url,
  };
}

/** The occurrences of a recurring event that overlap [start, end). */
function occurrences(event: ICAL.Event, url: string, start: Date, end: Date, budget: ExpansionBudget): EventsFound {
  const found: EventsFound = { events: [], truncated: false };
  // Nothing after the range matters: an UNTIL there also ends ical.js's own search for a first
  // occurrence of a rare YEARLY rule, which otherwise runs on to the year 20000.
  const horizon = ICAL.Time.fromJSDate(new Date(end.getTime() + 2 * DAY_MS), true);
  for (const property of event.component.getAllProperties('rrule')) {
    const rule = property.getFirstValue() as ICAL.Recur;
    if (!rule.until || rule.until.compare(horizon) > 0) rule.until = horizon;
  }
  const from = skipAheadStart(event, start) ?? event.startDate;
  let steps = 0;
  const step = () => {
    if (++steps > MAX_EVENT_STEPS || !budget.take()) throw new BudgetSpent();
  };
  const expansion = event.iterator(from);
  countRuleChecks(expansion, step);
  try {
    for (let next = (step(), expansion.next()); next; next = (step(), expansion.next())) {
      if (next.toJSDate() >= end) break;
      // ical.js's typings leave this type unresolved: it is named here.
      const details: unknown = event.getOccurrenceDetails(next);
      const occurrence = details as Occurrence;
      if (occurrence.startDate.toJSDate() < end && occurrence.endDate.toJSDate() > start) {
        if (found.events.length === MAX_OCCURRENCES) {
          found.truncated = true;
          break;
        }
        found.events.push(
          shape(event.uid, url, occurrence.item, occurrence.startDate, occurrence.endDate, occurrence.recurrenceId),
        );
      }
    }
  } catch (error) {
    if (!(error instanceof BudgetSpent)) throw error;
    found.truncated = true;
  }
  // Exceptions whose original time the expansion did not reach (skipped ahead of, or after the
  // range) can still have been moved into the range.
  const iterated = from.toJSDate();
  // ical.js keeps them in an object keyed by RECURRENCE-ID (its typings say an array).
  for (const exception of Object.values(event.exceptions)) {
    const original = exception.recurrenceId.toJSDate();
    if ((original >= iterated && original < end) || original < event.startDate.toJSDate()) continue;
    if (exception.startDate.toJSDate() < end && exception.endDate.toJSDate() > start) {
      found.events.push(
        shape(event.uid, url, exception, exception.startDate, exception.endDate, exception.recurrenceId),
      );
    }
  }
  return found;
}

/**
 * Counts each candidate time a rule iterator of ical.js considers as a step. Its `next()` loops
 * over candidates until one passes the rule's BY* parts, unbounded for a rule that rarely or
 * never matches (FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30); `check_contracting_rules` runs once per
 * candidate, so counting it bounds that loop. It is an internal of ical.js 2.x: if a version
 * lacks it, only the occurrences themselves are counted.
 */
function countRuleChecks(expansion: ICAL.RecurExpansion, step: () => void): void {
  const internals = expansion as unknown as { ruleIterators?: { check_contracting_rules?: () => boolean }[] };
  for (const iterator of internals.ruleIterators ?? []) {
    const check = iterator.check_contracting_rules;
    if (typeof check !== 'function') continue;
    iterator.check_contracting_rules = function (this: unknown) {
      step();
      return check.call(this);
    };
  }
}

const DAY_MS = 86_400_000;
/** The length in seconds of the period of a FREQ whose periods are all equally long on the wall clock. */
const FIXED_PERIOD: Partial<Record<string, number>> = {
  SECONDLY: 1,
  MINUTELY: 60,
  HOURLY: 3_600,
  DAILY: 86_400,
  WEEKLY: 604_800,
};

/**
 * Where expanding a long-running rule may start instead of at its DTSTART: a whole number of its
 * periods later, the last such time from which no occurrence overlapping the range is missed.
 * From there the rule yields exactly the occurrences it yields from DTSTART (the period grid and
 * everything the BY* parts pick within a period stay the same), so only rules where that holds
 * are skipped: one RRULE without COUNT (which counts from DTSTART) and no RDATE, with a FREQ of
 * fixed-length periods. Null: start at DTSTART.
 */
export function skipAheadStart(event: ICAL.Event, rangeStart: Date): ICAL.Time | null {
  const component = event.component;
  if (component.getAllProperties('rrule').length !== 1 || component.hasProperty('rdate')) return null;
  const rule = component.getFirstPropertyValue('rrule') as ICAL.Recur;
  const unit = FIXED_PERIOD[rule.freq];
  const dtstart = event.startDate;
  if (!unit || rule.count || (dtstart.isDate && unit < 86_400)) return null;
  const period = unit * (rule.interval || 1);
  const begins = dtstart.toJSDate().getTime();
  const length = Math.max(0, event.endDate.toJSDate().getTime() - begins);
  // Outside UTC an occurrence's wall-clock length can be an hour longer across a DST change.
  const zone = dtstart.zone as ICAL.Timezone | null | undefined;
  const slack = zone?.tzid === 'UTC' ? 0 : 3_600_000;
  const target = rangeStart.getTime() - length - slack;
  let k = Math.floor((target - begins) / (period * 1000));
  // The wall clock and UTC differ across DST changes: step back until the shifted start is early enough.
  while (k > 0) {
    const shifted = dtstart.clone();
    if (unit >= 86_400) shifted.adjust((k * period) / 86_400, 0, 0, 0);
    else shifted.adjust(0, 0, 0, k * period);
    const late = shifted.toJSDate().getTime() - target;
    if (late <= 0) return shifted;
    k -= Math.ceil(late / (period * 1000));
  }
  return null;
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
