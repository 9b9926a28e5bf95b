import ICAL from 'ical.js';
import { eventIcs, eventsInRange, ExpansionBudget, skipAheadStart } from './calendar';

const WEEKLY = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//test//EN',
  'BEGIN:VEVENT',
  'UID:standup@test',
  'DTSTAMP:20261101T000000Z',
  'DTSTART:20261102T090000Z',
  'DTEND:20261102T091500Z',
  'RRULE:FREQ=WEEKLY;COUNT=10',
  'SUMMARY:Standup',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:standup@test',
  'DTSTAMP:20261101T000000Z',
  'RECURRENCE-ID:20261116T090000Z',
  'DTSTART:20261116T100000Z',
  'DTEND:20261116T101500Z',
  'SUMMARY:Standup (moved)',
  'END:VEVENT',
  'END:VCALENDAR',
].join('\r\n');

describe('calendar events', () => {
  it('expands a recurring event within the range, exceptions applied', () => {
    const found = eventsInRange(
      WEEKLY,
      'http://cal/x.ics',
      new Date('2026-11-08T00:00:00Z'),
      new Date('2026-11-24T00:00:00Z'),
    );
    expect(found.truncated).toBe(false);
    expect(found.events.map((e) => [e.summary, e.start, e.recurrence_id])).toEqual([
      ['Standup', '2026-11-09T09:00:00.000Z', '2026-11-09T09:00:00.000Z'],
      ['Standup (moved)', '2026-11-16T10:00:00.000Z', '2026-11-16T09:00:00.000Z'],
      ['Standup', '2026-11-23T09:00:00.000Z', '2026-11-23T09:00:00.000Z'],
    ]);
    expect(found.events.every((e) => e.uid === 'standup@test' && !e.all_day)).toBe(true);
  });

  it('keeps a single event only when it overlaps the range', () => {
    const ics = eventIcs({
      uid: 'run-1-3@aos',
      summary: 'Review',
      start: new Date('2026-12-01T14:00:00Z'),
      end: new Date('2026-12-01T15:00:00Z'),
      description: 'From the mail',
      location: 'Room 4',
      attendees: ['dana@example.com'],
    });
    expect(ics).toContain('UID:run-1-3@aos');
    expect(ics).toContain('ATTENDEE:mailto:dana@example.com');
    const inside = eventsInRange(ics, 'u', new Date('2026-12-01T00:00:00Z'), new Date('2026-12-02T00:00:00Z'));
    expect(inside.events).toEqual([
      {
        uid: 'run-1-3@aos',
        summary: 'Review',
        start: '2026-12-01T14:00:00.000Z',
        end: '2026-12-01T15:00:00.000Z',
        all_day: false,
        location: 'Room 4',
        description: 'From the mail',
        recurrence_id: null,
        url: 'u',
      },
    ]);
    expect(eventsInRange(ics, 'u', new Date('2026-12-01T15:00:00Z'), new Date('2026-12-02T00:00:00Z'))).toEqual({
      events: [],
      truncated: false,
    });
  });
});

/** A VCALENDAR around `lines` (VEVENTs, VTIMEZONEs). */
const calendarOf = (...lines: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...lines, 'END:VCALENDAR'].join('\r\n');

const vevent = (uid: string, ...lines: string[]) => [
  'BEGIN:VEVENT',
  `UID:${uid}`,
  'DTSTAMP:20160101T000000Z',
  ...lines,
  'END:VEVENT',
];

/** Central European time as a VTIMEZONE, its offsets given: a calendar's own definition of the zone. */
const berlin = (standard: string, daylight: string) => [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'BEGIN:DAYLIGHT',
  `TZOFFSETFROM:${standard}`,
  `TZOFFSETTO:${daylight}`,
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  `TZOFFSETFROM:${daylight}`,
  `TZOFFSETTO:${standard}`,
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

/** What a plain expansion from DTSTART finds in [start, end): the reference for the skipping one. */
function expandedFromStart(data: string, start: Date, end: Date): string[] {
  const calendar = ICAL.Component.fromString(data);
  const vevents = calendar.getAllSubcomponents('vevent');
  const event = new ICAL.Event(vevents.find((v) => !v.hasProperty('recurrence-id')));
  for (const v of vevents.filter((x) => x.hasProperty('recurrence-id'))) event.relateException(v);
  const found: string[] = [];
  const iterator = event.iterator();
  for (let next = iterator.next(); next; next = iterator.next()) {
    const details = event.getOccurrenceDetails(next) as unknown as { startDate: ICAL.Time; endDate: ICAL.Time };
    if (next.toJSDate() >= end) break;
    if (details.startDate.toJSDate() < end && details.endDate.toJSDate() > start) {
      found.push(details.startDate.toJSDate().toISOString());
    }
  }
  return found;
}

const timed = <T>(work: () => T): [T, number] => {
  const began = performance.now();
  const result = work();
  return [result, performance.now() - began];
};

describe('recurring events that would expand without end', () => {
  const day = [new Date('2026-11-10T00:00:00Z'), new Date('2026-11-11T00:00:00Z')] as const;

  it('a SECONDLY rule from years ago starts near the range: 500 occurrences, marked truncated, at once', () => {
    const data = calendarOf(
      ...vevent('tick', 'DTSTART:20160101T000000Z', 'DURATION:PT1S', 'RRULE:FREQ=SECONDLY', 'SUMMARY:tick'),
    );
    const [found, ms] = timed(() => eventsInRange(data, 'u', ...day));
    expect(found.truncated).toBe(true);
    expect(found.events).toHaveLength(500);
    expect(found.events[0].start).toBe('2026-11-10T00:00:00.000Z');
    expect(found.events[499].start).toBe('2026-11-10T00:08:19.000Z');
    expect(ms).toBeLessThan(2_000);
  });

  it('a MINUTELY rule with a COUNT (not skippable) stops at the step budget, marked truncated', () => {
    const data = calendarOf(
      ...vevent('m', 'DTSTART:20160101T000000Z', 'DURATION:PT1M', 'RRULE:FREQ=MINUTELY;COUNT=100000000'),
    );
    const [found, ms] = timed(() => eventsInRange(data, 'u', ...day));
    expect(found).toEqual({ events: [], truncated: true });
    expect(ms).toBeLessThan(2_000);
  });

  it.each([
    ['a rule that never matches', 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'],
    ['a SECONDLY rule that matches once a year', 'FREQ=SECONDLY;BYMONTH=12;BYMONTHDAY=31;BYHOUR=23;BYMINUTE=59'],
  ])('%s is cut by the budget inside ical.js’s search for the next occurrence', (_, rule) => {
    const data = calendarOf(...vevent('never', 'DTSTART:20260101T000000Z', 'DURATION:PT1S', `RRULE:${rule}`));
    const [found, ms] = timed(() => eventsInRange(data, 'u', ...day));
    expect(found.truncated).toBe(true);
    expect(ms).toBeLessThan(2_000);
  });

  it('a YEARLY rule that never matches does not search up to the year 20000', () => {
    const data = calendarOf(
      ...vevent(
        'rare',
        'DTSTART:20200101T000000Z',
        'DURATION:PT1H',
        'RRULE:FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=15;BYDAY=1MO',
      ),
    );
    const [found, ms] = timed(() => eventsInRange(data, 'u', ...day));
    expect(found.events).toEqual([]);
    expect(ms).toBeLessThan(200);
  });

  it('one listing shares one budget: once spent, further recurring events are cut, single ones still listed', () => {
    const budget = new ExpansionBudget(50);
    const daily = (uid: string) =>
      calendarOf(...vevent(uid, 'DTSTART:20260101T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=DAILY;COUNT=1000'));
    expect(eventsInRange(daily('a'), 'u', ...day, budget)).toEqual({ events: [], truncated: true });
    expect(eventsInRange(daily('b'), 'u', ...day, budget)).toEqual({ events: [], truncated: true });
    const single = calendarOf(...vevent('s', 'DTSTART:20261110T090000Z', 'DTEND:20261110T100000Z'));
    expect(eventsInRange(single, 'u', ...day, budget)).toMatchObject({ events: [{ uid: 's' }], truncated: false });
  });

  it.each([
    [
      'DAILY by weekday in Berlin, across the DST change',
      'FREQ=DAILY;BYDAY=MO,WE,FR',
      ';TZID=Europe/Berlin:20160104T083000',
      'PT45M',
    ],
    [
      'WEEKLY every other week',
      'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU',
      ';TZID=Europe/Berlin:20160105T170000',
      'PT2H',
    ],
    ['HOURLY every 5 hours, long occurrences', 'FREQ=HOURLY;INTERVAL=5', ':20250301T013000Z', 'PT7H'],
    [
      'MINUTELY every 7 minutes in Berlin',
      'FREQ=MINUTELY;INTERVAL=7;BYHOUR=1,2,3',
      ';TZID=Europe/Berlin:20251201T000000',
      'PT10M',
    ],
    ['DAILY all-day', 'FREQ=DAILY;INTERVAL=3', ';VALUE=DATE:20160101', 'P2D'],
  ])('skipping ahead finds exactly what expanding from DTSTART finds: %s', (_, rule, dtstart, duration) => {
    const data = calendarOf(
      ...berlin('+0100', '+0200'),
      ...vevent('r', `DTSTART${dtstart}`, `DURATION:${duration}`, `RRULE:${rule}`, 'EXDATE:20260330T063000Z'),
    );
    const start = new Date('2026-03-27T00:00:00Z');
    const end = new Date('2026-04-02T00:00:00Z');
    const master = new ICAL.Event(ICAL.Component.fromString(data).getFirstSubcomponent('vevent')!);
    expect(skipAheadStart(master, start)).not.toBeNull();
    const found = eventsInRange(data, 'u', start, end);
    const reference = expandedFromStart(data, start, end);
    expect(reference.length).toBeGreaterThan(0);
    expect(found.events.map((e) => e.start)).toEqual(reference);
  });

  it('an occurrence moved into the range from before the skipped-to start, or from after the range, is listed', () => {
    const data = calendarOf(
      ...vevent('d', 'DTSTART:20160101T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=DAILY', 'SUMMARY:daily'),
      ...vevent('d', 'RECURRENCE-ID:20200101T090000Z', 'DTSTART:20261110T120000Z', 'DURATION:PT1H', 'SUMMARY:old'),
      ...vevent('d', 'RECURRENCE-ID:20261120T090000Z', 'DTSTART:20261110T150000Z', 'DURATION:PT1H', 'SUMMARY:later'),
      ...vevent('d', 'RECURRENCE-ID:20261110T090000Z', 'DTSTART:20261125T090000Z', 'DURATION:PT1H', 'SUMMARY:away'),
    );
    const found = eventsInRange(data, 'u', ...day);
    expect(found.events.map((e) => [e.summary, e.start])).toEqual([
      ['old', '2026-11-10T12:00:00.000Z'],
      ['later', '2026-11-10T15:00:00.000Z'],
    ]);
  });
});

describe('calendar data that is not good', () => {
  it('a calendar’s VTIMEZONE applies to its own events only, and registers nothing process-wide', () => {
    const event = (uid: string) => vevent(uid, 'DTSTART;TZID=Europe/Berlin:20261110T090000', 'DURATION:PT1H');
    const bogus = eventsInRange(calendarOf(...berlin('+0500', '+0600'), ...event('b')), 'u', ...day());
    const real = eventsInRange(calendarOf(...berlin('+0100', '+0200'), ...event('r')), 'u', ...day());
    expect(bogus.events[0].start).toBe('2026-11-10T04:00:00.000Z');
    expect(real.events[0].start).toBe('2026-11-10T08:00:00.000Z');
    expect(ICAL.TimezoneService.has('Europe/Berlin')).toBe(false);
  });

  it('an unparseable object, or a rule ical.js refuses, is left out and marked, the rest still listed', () => {
    expect(eventsInRange('not a calendar', 'u', ...day())).toEqual({ events: [], truncated: true });
    const data = calendarOf(
      ...vevent('bad', 'DTSTART:20261110T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=WEEKLY;BYMONTHDAY=3'),
      ...vevent('good', 'DTSTART:20261110T100000Z', 'DURATION:PT1H'),
    );
    expect(eventsInRange(data, 'u', ...day())).toMatchObject({ events: [{ uid: 'good' }], truncated: true });
  });

  function day(): [Date, Date] {
    return [new Date('2026-11-10T00:00:00Z'), new Date('2026-11-11T00:00:00Z')];
  }
});
