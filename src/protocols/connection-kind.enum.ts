/** What a connection is an account of. Stored as the PostgreSQL enum `connection_kind`. */
export enum ConnectionKind {
  /** Sending mail (email_send). */
  Smtp = 'smtp',
  /** Reading mail (email_search, email_read). */
  Imap = 'imap',
  /** A calendar (calendar_list_events, calendar_create_event). */
  Caldav = 'caldav',
  /** Credentials http_call adds to requests to one origin. */
  Http = 'http',
}
