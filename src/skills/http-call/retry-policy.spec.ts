import { AxiosError } from 'axios';
import { SsrfBlockedError } from '../../common/ssrf';
import { failedAttemptOf, mayRetry } from './retry-policy';

describe('http_call retry policy', () => {
  it.each([
    [{ status: 500 }, true],
    [{ status: 503 }, true],
    [{ status: 429 }, true],
    [{ status: 404 }, false],
    [{ code: 'ECONNRESET' }, true],
    [{ code: 'ECONNABORTED' }, true],
    [{ code: 'ENOTFOUND' }, true],
    [{ code: 'ERR_BAD_OPTION' }, false],
    [{ code: 'ERR_CANCELED' }, false],
    [{ code: 'ECONNREFUSED', blocked: true }, false],
  ])('GET after %j: retry %s', (attempt, expected) => {
    expect(mayRetry(attempt, 'GET')).toBe(expected);
  });

  it.each([
    [{ code: 'ECONNREFUSED' }, true],
    [{ status: 429 }, true],
    [{ status: 503 }, true],
    [{ status: 500 }, false],
    [{ status: 502 }, false],
    [{ code: 'ECONNRESET' }, false],
    [{ code: 'ECONNABORTED' }, false],
  ])('POST after %j: retry %s (only when the server cannot have acted)', (attempt, expected) => {
    expect(mayRetry(attempt, 'POST')).toBe(expected);
  });

  it('recognises an SSRF refusal by its type anywhere in the cause chain', () => {
    const blocked = new SsrfBlockedError('localhost', '127.0.0.1', 'loopback', 'AOS_HTTP_ALLOW_HOSTS');
    const wrapped = AxiosError.from(blocked, undefined, undefined, undefined, undefined);
    expect(failedAttemptOf(wrapped)).toMatchObject({ blocked: true, code: 'ERR_SSRF_BLOCKED' });
    expect(mayRetry(failedAttemptOf(wrapped), 'GET')).toBe(false);
    expect(failedAttemptOf(new AxiosError('boom', 'ECONNRESET')).blocked).toBe(false);
  });
});
