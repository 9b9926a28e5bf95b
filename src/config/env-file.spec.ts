import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withEnvFile } from './env-file';

describe('withEnvFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aos-env-'));
  const file = join(dir, '.env');
  writeFileSync(file, '# comment\nPORT=9000\nLOG_LEVEL="debug"\nexport AOS_ROLE=api\n');

  it('adds the file’s variables under the environment, which wins', () => {
    expect(withEnvFile({ PORT: '8001' }, file)).toEqual({ PORT: '8001', LOG_LEVEL: 'debug', AOS_ROLE: 'api' });
  });

  it('leaves the environment alone without a file', () => {
    const env = { PORT: '1' };
    expect(withEnvFile(env, join(dir, 'missing.env'))).toBe(env);
  });
});
