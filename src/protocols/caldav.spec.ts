import { cappedFetch, originBoundCredentials } from './caldav';

/** A fetch answering `chunks` as a streamed body (no Content-Length), or `length` declared. */
const answering =
  (chunks: Uint8Array[], headers: Record<string, string> = {}): typeof fetch =>
  () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled < chunks.length) controller.enqueue(chunks[pulled++]);
        else controller.close();
      },
    });
    return Promise.resolve(new Response(body, { status: 207, headers }));
  };

const kb = (n: number) => new Uint8Array(n * 1024).fill(0x61);

describe('a CalDAV answer capped in size', () => {
  it('reads an answer within the cap as it is, its status kept', async () => {
    const response = await cappedFetch(answering([kb(1), kb(1)]), 4 * 1024)('http://dav.test/cal/');
    expect(response.status).toBe(207);
    expect((await response.text()).length).toBe(2 * 1024);
  });

  it('fails to read a streamed answer once it passes the cap, with a clear message', async () => {
    const response = await cappedFetch(answering([kb(3), kb(3), kb(3)]), 5 * 1024)('http://dav.test/cal/');
    await expect(response.text()).rejects.toThrow(
      "the CalDAV server's answer is larger than 5120 bytes; AOS reads no more",
    );
  });

  it('refuses at once an answer whose Content-Length is over the cap', async () => {
    const fetch = cappedFetch(answering([kb(1)], { 'content-length': String(6 * 1024 * 1024) }), 5 * 1024 * 1024);
    await expect(fetch('http://dav.test/cal/')).rejects.toThrow("the CalDAV server's answer is larger than 5 MB");
  });
});

describe('CalDAV credentials', () => {
  it('go to the connection’s origin only: a server naming another origin gets no Authorization', async () => {
    const sent: { url: string; authorization: string | null; depth: string | null }[] = [];
    const recording: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      sent.push({
        url: String(input instanceof Request ? input.url : input),
        authorization: headers.get('authorization'),
        depth: headers.get('depth'),
      });
      return Promise.resolve(new Response('', { status: 207 }));
    };
    const fetch = originBoundCredentials(recording, 'https://cal.example.com');
    const init = { headers: { authorization: 'Basic c2VjcmV0', depth: '1', 'x-api-key': 'k' } };
    await fetch('https://cal.example.com/dav/home/', init);
    await fetch('https://evil.example/dav/home/', init);
    await fetch(new URL('http://cal.example.com/dav/'), init);
    expect(sent).toEqual([
      { url: 'https://cal.example.com/dav/home/', authorization: 'Basic c2VjcmV0', depth: '1' },
      { url: 'https://evil.example/dav/home/', authorization: null, depth: '1' },
      // Another scheme is another origin.
      { url: 'http://cal.example.com/dav/', authorization: null, depth: '1' },
    ]);
  });
});
