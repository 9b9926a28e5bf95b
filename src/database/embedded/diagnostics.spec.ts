import { EmbeddedPostgresError, outputSummary, startupFailure } from './diagnostics';

describe('messages for the operator', () => {
  const busy = [
    '2025-01-01 10:00:00.000 UTC [42] LOG:  starting PostgreSQL 17.6',
    '2025-01-01 10:00:00.001 UTC [42] LOG:  could not bind IPv4 address "127.0.0.1": Address already in use',
    '2025-01-01 10:00:00.001 UTC [42] HINT:  Is another postmaster already running on port 5432?',
    '2025-01-01 10:00:00.001 UTC [42] WARNING:  could not create listen socket for "127.0.0.1"',
    '2025-01-01 10:00:00.002 UTC [42] FATAL:  could not create any TCP/IP sockets',
    '2025-01-01 10:00:00.003 UTC [42] LOG:  database system is shut down',
  ];

  it('leads with the port and the variable when the port is taken', () => {
    const error = startupFailure('postgres stopped', busy, '/d/pg', 5432);
    expect(error.message).toMatch(
      /^embedded PostgreSQL could not start: port 5432 on 127\.0\.0\.1 is in use: set AOS_EMBEDDED_PG_PORT .*Address already in use/,
    );
  });

  it('says what failed when the cause is not a known one', () => {
    const error = startupFailure('initdb exited with code 1', ['initdb: error: something odd'], '/d/pg');
    expect(error.message).toBe(
      'initdb exited with code 1 (output: initdb: error: something odd); fix the cause shown, or set DATABASE_URL to use a PostgreSQL server of your own',
    );
  });

  it('keeps the last useful lines, without timestamps', () => {
    const summary = outputSummary(busy);
    expect(summary).toContain('FATAL:  could not create any TCP/IP sockets');
    expect(summary).not.toContain('2025-01-01');
    expect(summary).not.toContain('shut down');
    expect(summary).not.toContain('\n');
  });

  it('collapses any message into one line', () => {
    expect(new EmbeddedPostgresError('first\n  second\r\nthird').message).toBe('first | second | third');
  });
});
