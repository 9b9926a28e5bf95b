import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveApiKey } from './api-key';

describe('resolveApiKey', () => {
  it('uses AOS_API_KEY when set', async () => {
    const print = jest.fn();
    await expect(resolveApiKey({ apiKey: 'given', dataDir: '/nonexistent' }, print)).resolves.toEqual({
      apiKey: 'given',
      apiKeySource: 'environment',
    });
    expect(print).not.toHaveBeenCalled();
  });

  it('generates a development key once, prints it once and reuses it after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aos-key-'));
    const print = jest.fn();
    const first = await resolveApiKey({ apiKey: undefined, dataDir }, print);
    expect(first.apiKeySource).toBe('generated');
    expect(first.apiKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(print).toHaveBeenCalledTimes(1);
    expect(print.mock.calls[0][0]).toContain(first.apiKey);
    expect(statSync(join(dataDir, 'dev-api-key')).mode & 0o777).toBe(0o600);

    const second = await resolveApiKey({ apiKey: undefined, dataDir }, print);
    expect(second).toEqual({ apiKey: first.apiKey, apiKeySource: 'data-dir' });
    expect(print).toHaveBeenCalledTimes(1);
    expect(readFileSync(join(dataDir, 'dev-api-key'), 'utf8').trim()).toBe(first.apiKey);
  });
});
