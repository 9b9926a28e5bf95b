import { cappedFetch } from './caldav';

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
