import { Injectable } from '@nestjs/common';
import { ConnectionKind } from '../../protocols/connection-kind.enum';
import { davClient } from '../../protocols/caldav';
import {
  CALENDAR_EVENT_SCHEMA,
  CalendarEvent,
  eventsInRange,
  ExpansionBudget,
  pickCalendar,
} from '../connected/calendar';
import { CONNECTION_INPUT, ConnectedSkill, protocolError } from '../connected/connected-skill';
import { SkillContext, SkillError, SkillManifest, SkillResult } from '../skill';

export interface CalendarListInput {
  connection: string;
  calendar?: string;
  start: string;
  end: string;
  limit?: number;
}

export interface CalendarListOutput {
  calendar: string;
  events: CalendarEvent[];
  truncated: boolean;
}

/** The longest range one listing covers. */
const MAX_RANGE_DAYS = 366;

/**
 * Lists the events of a calendar of a caldav connection (tsdav) in a time range, recurring events
 * expanded into their occurrences in it (ical.js), ordered by start.
 */
@Injectable()
export class CalendarListEventsSkill extends ConnectedSkill<CalendarListInput, CalendarListOutput> {
  readonly manifest: SkillManifest = {
    skill_id: 'calendar_list_events',
    version: '1.0.0',
    description:
      'List the events between start and end (ISO 8601 date-times) in a calendar of one of your caldav connections, ' +
      'recurring events expanded into their occurrences, ordered by start.',
    capabilities: ['network_egress', 'calendar'],
    input_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['connection', 'start', 'end'],
      properties: {
        connection: CONNECTION_INPUT,
        calendar: {
          type: 'string',
          minLength: 1,
          maxLength: 2000,
          description: "Display name or URL; default: the connection's",
        },
        start: { type: 'string', format: 'date-time' },
        end: { type: 'string', format: 'date-time' },
        limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
      },
    },
    output_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['calendar', 'events', 'truncated'],
      properties: {
        calendar: { type: 'string' },
        events: { type: 'array', items: CALENDAR_EVENT_SCHEMA },
        truncated: {
          type: 'boolean',
          description:
            'Some events are not listed: more than limit matched, or a recurring event had too many occurrences ' +
            'to expand in full, or an event could not be read',
        },
      },
    },
    side_effects: 'none',
    reversible: true,
    external_effects: true,
    outside_content: true,
    egress: false,
    connection_kind: ConnectionKind.Caldav,
  };

  sourceOf(input: CalendarListInput): string {
    return `calendar ${input.calendar ?? '(default)'} of connection ${input.connection}`;
  }

  async execute(input: CalendarListInput, context: SkillContext): Promise<SkillResult<CalendarListOutput>> {
    const start = new Date(input.start);
    const end = new Date(input.end);
    if (!(end > start)) throw new SkillError('end must be after start');
    if (end.getTime() - start.getTime() > MAX_RANGE_DAYS * 86_400_000) {
      throw new SkillError(`the range may span at most ${MAX_RANGE_DAYS} days`);
    }
    const connection = await context.connections.get(input.connection, ConnectionKind.Caldav);
    try {
      const client = await davClient(connection, this.options);
      const calendar = await pickCalendar(client, input.calendar ?? connection.settings.calendar);
      const objects = await client.fetchCalendarObjects({
        calendar,
        timeRange: { start: start.toISOString(), end: end.toISOString() },
      });
      // One budget for the whole listing: recurrence expansion is CPU spent on the event loop.
      const budget = new ExpansionBudget();
      let incomplete = false;
      const events = objects
        .flatMap((o) => {
          if (typeof o.data !== 'string') return [];
          const found = eventsInRange(o.data, o.url, start, end, budget);
          incomplete ||= found.truncated;
          return found.events;
        })
        .sort((a, b) => a.start.localeCompare(b.start));
      const limit = input.limit ?? 50;
      const name = typeof calendar.displayName === 'string' ? calendar.displayName : calendar.url;
      return {
        output: { calendar: name, events: events.slice(0, limit), truncated: incomplete || events.length > limit },
      };
    } catch (error) {
      throw protocolError('listing the calendar', error);
    }
  }
}
