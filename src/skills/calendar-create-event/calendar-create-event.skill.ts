import { Injectable } from '@nestjs/common';
import { ConnectionKind } from '../../protocols/connection-kind.enum';
import { davClient } from '../../protocols/caldav';
import { MemoryType } from '../memory-type.enum';
import { eventIcs, pickCalendar } from '../connected/calendar';
import { CONNECTION_INPUT, ConnectedSkill, EMAIL_LIST, protocolError } from '../connected/connected-skill';
import { SkillContext, SkillError, SkillManifest, SkillResult } from '../skill';

export interface CalendarCreateInput {
  connection: string;
  calendar?: string;
  summary: string;
  start: string;
  end: string;
  description?: string;
  location?: string;
  attendees?: string[];
}

export interface CalendarCreateOutput {
  uid: string;
  url: string;
  /** false: the event was already there (this step ran before): nothing was created twice. */
  created: boolean;
}

/** The UID of a run step's event: the same for every attempt, so a repeat is the same PUT. */
export function stepEventUid(runId: string, step: number): string {
  return `${runId}-${step}@aos`;
}

/**
 * Creates an event in a calendar of a caldav connection (tsdav): a PUT of `<uid>.ics` with
 * If-None-Match: *, the UID derived from the run step. A repeated call (a retry, a reclaimed run)
 * finds the event there (412) and creates nothing: idempotent.
 */
@Injectable()
export class CalendarCreateEventSkill extends ConnectedSkill<CalendarCreateInput, CalendarCreateOutput> {
  readonly manifest: SkillManifest = {
    skill_id: 'calendar_create_event',
    version: '1.0.0',
    description:
      'Create an event (summary, start, end as ISO 8601 date-times, description, location, attendee emails) in a ' +
      'calendar of one of your caldav connections.',
    capabilities: ['network_egress', 'calendar'],
    input_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['connection', 'summary', 'start', 'end'],
      properties: {
        connection: CONNECTION_INPUT,
        calendar: {
          type: 'string',
          minLength: 1,
          maxLength: 2000,
          description: "Display name or URL; default: the connection's",
        },
        summary: { type: 'string', minLength: 1, maxLength: 500 },
        start: { type: 'string', format: 'date-time' },
        end: { type: 'string', format: 'date-time' },
        description: { type: 'string', maxLength: 20_000 },
        location: { type: 'string', maxLength: 500 },
        attendees: EMAIL_LIST,
      },
    },
    output_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['uid', 'url', 'created'],
      properties: { uid: { type: 'string' }, url: { type: 'string' }, created: { type: 'boolean' } },
    },
    side_effects: 'idempotent',
    reversible: true,
    external_effects: true,
    outside_content: false,
    egress: true,
    connection_kind: ConnectionKind.Caldav,
  };

  async execute(input: CalendarCreateInput, context: SkillContext): Promise<SkillResult<CalendarCreateOutput>> {
    const start = new Date(input.start);
    const end = new Date(input.end);
    if (!(end > start)) throw new SkillError('end must be after start');
    const connection = await context.connections.get(input.connection, ConnectionKind.Caldav);
    const uid = stepEventUid(context.runId, context.stepIndex);
    const filename = `${encodeURIComponent(uid)}.ics`;
    let response: Response;
    let url: string;
    try {
      const client = await davClient(connection, this.options);
      const calendar = await pickCalendar(client, input.calendar ?? connection.settings.calendar);
      url = new URL(filename, calendar.url.endsWith('/') ? calendar.url : `${calendar.url}/`).href;
      response = await client.createCalendarObject({
        calendar,
        filename,
        iCalString: eventIcs({ ...input, uid, start, end }),
      });
    } catch (error) {
      throw protocolError('creating the event', error);
    }
    await response.body?.cancel();
    // 412: the If-None-Match precondition failed, the event of this step is there already.
    if (response.status !== 412 && !response.ok) {
      throw new SkillError(
        `the CalDAV server refused the event: ${response.status} ${response.statusText}`,
        response.status >= 500,
      );
    }
    const created = response.status !== 412;
    return {
      output: { uid, url, created },
      memory: {
        memory_type: MemoryType.SkillResult,
        text: `Calendar event "${input.summary}" from ${start.toISOString()} to ${end.toISOString()}`,
        meta: { uid, url, created },
      },
    };
  }
}
