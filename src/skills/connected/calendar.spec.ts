import { eventIcs, eventsInRange } from './calendar';

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
    const events = eventsInRange(
      WEEKLY,
      'http://cal/x.ics',
      new Date('2026-11-08T00:00:00Z'),
      new Date('2026-11-24T00:00:00Z'),
    );
    expect(events.map((e) => [e.summary, e.start, e.recurrence_id])).toEqual([
      ['Standup', '2026-11-09T09:00:00.000Z', '2026-11-09T09:00:00.000Z'],
      ['Standup (moved)', '2026-11-16T10:00:00.000Z', '2026-11-16T09:00:00.000Z'],
      ['Standup', '2026-11-23T09:00:00.000Z', '2026-11-23T09:00:00.000Z'],
    ]);
    expect(events.every((e) => e.uid === 'standup@test' && !e.all_day)).toBe(true);
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
    expect(inside).toEqual([
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
    expect(eventsInRange(ics, 'u', new Date('2026-12-01T15:00:00Z'), new Date('2026-12-02T00:00:00Z'))).toEqual([]);
  });
});
