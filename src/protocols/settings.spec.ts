import { ConnectionKind } from './connection-kind.enum';
import { checkConnection, destinationOf } from './settings';

describe('checkConnection', () => {
  const create = { secretRequired: true };

  it('fills the defaults of each kind', () => {
    expect(
      checkConnection(ConnectionKind.Smtp, { host: 'smtp.example.com', from: 'a@example.com' }, undefined, {
        secretRequired: false,
      }),
    ).toMatchObject({
      problems: [],
      settings: { host: 'smtp.example.com', port: 587, tls: 'starttls', from: 'a@example.com' },
    });
    expect(
      checkConnection(
        ConnectionKind.Smtp,
        { host: 'smtp.example.com', tls: 'tls', from: 'a@example.com' },
        'pw',
        create,
      ).settings.port,
    ).toBe(465);
    expect(
      checkConnection(ConnectionKind.Imap, { host: 'imap.example.com', username: 'u' }, 'pw', create).settings,
    ).toEqual({
      host: 'imap.example.com',
      username: 'u',
      tls: 'tls',
      port: 993,
      mailbox: 'INBOX',
    });
    expect(
      checkConnection(ConnectionKind.Http, { origin: 'https://API.example.com:443' }, 'tok', create).settings,
    ).toEqual({
      origin: 'https://api.example.com',
      auth: 'bearer',
    });
  });

  it('takes header names from a header secret and keeps them on a settings-only update', () => {
    const withHeaders = checkConnection(
      ConnectionKind.Http,
      { origin: 'https://api.example.com', auth: 'headers' },
      { 'X-Key': 'v' },
      create,
    );
    expect(withHeaders).toMatchObject({ problems: [], secret: '{"X-Key":"v"}', settings: { headers: ['X-Key'] } });
    const kept = checkConnection(
      ConnectionKind.Http,
      { origin: 'https://api.example.com', auth: 'headers' },
      undefined,
      {
        secretRequired: false,
        previousHeaders: ['X-Key'],
      },
    );
    expect(kept.settings.headers).toEqual(['X-Key']);
  });

  it('lists every problem with its field', () => {
    const { problems } = checkConnection(ConnectionKind.Imap, { port: 0, tls: 'ssl', extra: true }, '', create);
    expect(problems.map((p) => p.field)).toEqual(
      expect.arrayContaining([
        'settings.host',
        'settings.port',
        'settings.tls',
        'settings.username',
        'settings.extra',
        'secret',
      ]),
    );
    expect(checkConnection(ConnectionKind.Caldav, 'not an object', 'pw', create).problems).toContainEqual({
      field: 'settings',
      message: 'settings must be an object',
    });
  });

  it('names where each kind connects, for the SSRF policy', () => {
    expect(destinationOf(ConnectionKind.Smtp, { host: '::1', port: 25 }).host).toBe('[::1]:25');
    expect(destinationOf(ConnectionKind.Caldav, { url: 'https://cal.example.com/dav/' }).hostname).toBe(
      'cal.example.com',
    );
  });
});
