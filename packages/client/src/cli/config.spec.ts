import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPath, readLogin, removeLogin, writeLogin } from './config.js';
import { UsageError } from './exit-codes.js';

describe('the saved login', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'aos-config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lives at AOS_CONFIG, else under an absolute XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configPath({ AOS_CONFIG: '/x/aos.json', XDG_CONFIG_HOME: '/xdg' })).toBe('/x/aos.json');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/aos/config.json');
    expect(configPath({ XDG_CONFIG_HOME: 'relative' })).toBe(join(homedir(), '.config/aos/config.json'));
    expect(configPath({})).toBe(join(homedir(), '.config/aos/config.json'));
  });

  it('is written 0600 in a 0700 directory, replaced whole, and removed', () => {
    const path = join(dir, 'nested', 'aos', 'config.json');
    const umask = process.umask(0o000);
    try {
      writeLogin(path, { url: 'http://a.test', key: 'k-1', tenant: 'acme' });
    } finally {
      process.umask(umask);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'nested', 'aos')).mode & 0o777).toBe(0o700);
    expect(readLogin(path)).toEqual({ url: 'http://a.test', key: 'k-1', tenant: 'acme' });
    writeLogin(path, { url: 'http://b.test', key: 'k-2' });
    expect(readLogin(path)).toEqual({ url: 'http://b.test', key: 'k-2' });
    // Nothing left beside it.
    expect(readdirSync(join(dir, 'nested', 'aos'))).toEqual(['config.json']);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ url: 'http://b.test', key: 'k-2' });
    expect(removeLogin(path)).toBe(true);
    expect(removeLogin(path)).toBe(false);
    expect(readLogin(path)).toBeUndefined();
  });

  it('refuses a file that is not a saved login without quoting it', () => {
    const path = join(dir, 'config.json');
    for (const text of ['SECRET not json', '{"url": "http://a.test"}', '{"url": 1, "key": "SECRET"}', '[]']) {
      writeFileSync(path, text);
      expect(() => readLogin(path)).toThrow(UsageError);
      expect(() => readLogin(path)).not.toThrow(/SECRET/);
    }
  });
});
