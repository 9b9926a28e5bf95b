import { storable } from '../common/storable';
import { failureText } from '../protocols/failure-text';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { protocolOptions } from '../protocols/protocol-options';
import { ConnectionKind } from '../protocols/connection-kind.enum';
import type { ConnectionTestDto } from './dto/connection.dto';
import { davClient } from '../protocols/caldav';
import { guardedFetch } from '../protocols/guarded-fetch';
import { credentialHeaders } from '../protocols/http-credentials';
import { withImap } from '../protocols/imap';
import { smtpTransport } from '../protocols/smtp';
import { connectionSecretForms, redactText } from '../protocols/redact';
import type { ProtocolOptions, ResolvedConnection } from '../protocols/resolved-connection';

const MAX_LISTED = 50;

/** Logs in with a connection and reports what the server answered (the `test` route). */
@Injectable()
export class ConnectionTester {
  private readonly options: ProtocolOptions;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.options = protocolOptions(config);
  }

  async test(connection: ResolvedConnection): Promise<ConnectionTestDto> {
    const forms = connectionSecretForms(connection);
    try {
      const result = await this.check(connection);
      return { ...result, message: redactText(result.message, forms) };
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      const said = [typeof code === 'string' ? code : undefined, failureText(error)].filter(Boolean).join(': ');
      return { ok: false, message: storable(redactText(said, forms), 1_000) };
    }
  }

  private async check(connection: ResolvedConnection): Promise<ConnectionTestDto> {
    switch (connection.kind) {
      case ConnectionKind.Smtp: {
        const c = connection as ResolvedConnection<ConnectionKind.Smtp>;
        const transport = await smtpTransport(c, this.options);
        try {
          await transport.verify();
        } finally {
          transport.close();
        }
        return {
          ok: true,
          message:
            c.secret === undefined
              ? 'the SMTP server answered (no login configured)'
              : 'the SMTP server accepted the login',
        };
      }
      case ConnectionKind.Imap: {
        const c = connection as ResolvedConnection<ConnectionKind.Imap>;
        const mailboxes = await withImap(c, this.options, async (client) => (await client.list()).map((m) => m.path));
        return {
          ok: true,
          message: `logged in; ${mailboxes.length} mailbox(es)`,
          details: { mailboxes: mailboxes.slice(0, MAX_LISTED) },
        };
      }
      case ConnectionKind.Caldav: {
        const client = await davClient(connection as ResolvedConnection<ConnectionKind.Caldav>, this.options);
        const calendars = await client.fetchCalendars();
        return {
          ok: true,
          message: `logged in; ${calendars.length} calendar(s)`,
          details: {
            calendars: calendars
              .slice(0, MAX_LISTED)
              .map((cal) => ({ name: displayName(cal.displayName), url: cal.url })),
          },
        };
      }
      case ConnectionKind.Http: {
        const c = connection as ResolvedConnection<ConnectionKind.Http>;
        const url = new URL('/', c.settings.origin);
        const response = await guardedFetch(this.options.policy, this.options.timeoutMs)(url, {
          method: 'GET',
          headers: credentialHeaders(c, url),
        });
        await response.body?.cancel();
        return {
          ok: response.status < 400,
          message: `GET ${url.origin}/ answered ${response.status}`,
          details: { status: response.status },
        };
      }
    }
  }
}

function displayName(name: unknown): string | null {
  if (typeof name === 'string') return name;
  return name && typeof name === 'object' ? JSON.stringify(name) : null;
}
