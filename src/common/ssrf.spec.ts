import { Agent, createServer, get, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blockedRange, findSsrfBlock, OutboundPolicy, SsrfBlockedError } from './ssrf';

describe('blockedRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    // IPv4-compatible (::/96): how the URL parser writes [::127.0.0.1], and what a resolver hands over.
    ['::7f00:1', 'ipv4Compatible'],
    ['::a00:1', 'ipv4Compatible'],
    ['::808:808', 'ipv4Compatible'],
    ['not-an-ip', 'invalid'],
  ])('refuses %s (%s)', (address, range) => {
    expect(blockedRange(address)).toBe(range);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows public %s', (address) => {
    expect(blockedRange(address)).toBeUndefined();
  });
});

describe('OutboundPolicy', () => {
  it('matches allow-list entries by host or host:port', () => {
    const policy = new OutboundPolicy(['127.0.0.1:9000', 'intranet.local', '[::1]:80'], 'X_ALLOW');
    expect(policy.isAllowListed('127.0.0.1', 9000)).toBe(true);
    expect(policy.isAllowListed('127.0.0.1', 9001)).toBe(false);
    expect(policy.isAllowListed('INTRANET.local', 443)).toBe(true);
    expect(policy.isAllowListed('[::1]', '80')).toBe(true);
    expect(policy.check.bind(policy, 'x', '8.8.8.8')).not.toThrow();
    expect(() => policy.check('localhost', '127.0.0.1')).toThrow(SsrfBlockedError);
  });

  it('names the allow-list variable and what the host resolved to', () => {
    const error = new SsrfBlockedError('localhost', '127.0.0.1', 'loopback', 'AOS_WEBHOOK_ALLOW_HOSTS');
    expect(error.message).toBe(
      'blocked by SSRF protection: localhost resolves to 127.0.0.1, which is not a public address (loopback); ' +
        'only public addresses are reachable unless host[:port] is listed in AOS_WEBHOOK_ALLOW_HOSTS',
    );
    expect(findSsrfBlock(new Error('outer', { cause: error }))).toBe(error);
  });

  it('checks a destination ahead of time: literals as they are, names as they resolve, listed hosts untouched', async () => {
    const policy = new OutboundPolicy(['hooks.invalid:8443'], 'X_ALLOW');
    for (const url of [
      'http://127.0.0.1/',
      'http://[::1]:8080/',
      'https://localhost/x',
      'http://169.254.169.254/',
      // IPv4-compatible IPv6: the URL parser writes [::127.0.0.1] as [::7f00:1].
      'http://[::127.0.0.1]/',
      'http://[::7f00:1]:8080/',
    ]) {
      await expect(policy.checkDestination(new URL(url))).rejects.toBeInstanceOf(SsrfBlockedError);
    }
    await expect(policy.checkDestination(new URL('http://93.184.216.34/'))).resolves.toBeUndefined();
    // Listed: not even resolved (this name does not exist).
    await expect(policy.checkDestination(new URL('https://hooks.invalid:8443/'))).resolves.toBeUndefined();
    await expect(policy.checkDestination(new URL('https://hooks.invalid/'))).rejects.toMatchObject({
      code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN|ETIMEOUT/),
    });
  });

  it('refuses a real connection to loopback through its agent, by IP and by name, and allows it when listed', async () => {
    const server = createServer((_req, res) => res.end('reached'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const guarded = new OutboundPolicy([], 'X_ALLOW');
      for (const host of ['127.0.0.1', 'localhost']) {
        const url = new URL(`http://${host}:${port}/`);
        const failure = await fetchWith(url, guarded.agentsFor(url).httpAgent).catch((e: unknown) => e);
        expect(findSsrfBlock(failure)).toBeInstanceOf(SsrfBlockedError);
      }
      const open = new OutboundPolicy([`127.0.0.1:${port}`], 'X_ALLOW');
      const url = new URL(`http://127.0.0.1:${port}/`);
      await expect(fetchWith(url, open.agentsFor(url).httpAgent)).resolves.toBe('reached');
    } finally {
      server.close();
    }
  });
});

function fetchWith(url: URL, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent }, (res: IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    request.on('error', reject);
  });
}
