import { createHash } from 'node:crypto';
import { chmod, mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Account } from './account';
import { EmbeddedPostgresError, SYSTEM_USER } from './diagnostics';

/*
 * Where the binaries and the cluster live, and whether the `postgres` user can reach them: pure
 * decisions (unit-tested) and the file system reads they are made from.
 */

/** One entry of a path, from the file system root down: its owner, group and mode bits. */
export interface PathStat {
  path: string;
  uid: number;
  gid: number;
  mode: number;
}

export interface AccessNeed {
  read?: boolean;
  write?: boolean;
  execute?: boolean;
}

/** Whether `who` (no supplementary groups: spawn drops them) has `need` on one entry. */
export function permits(entry: Omit<PathStat, 'path'>, who: Account, need: AccessNeed): boolean {
  if (who.uid === 0) return true;
  const shift = entry.uid === who.uid ? 6 : entry.gid === who.gid ? 3 : 0;
  const bits = (entry.mode >> shift) & 0o7;
  return (
    (!need.read || (bits & 0o4) !== 0) && (!need.write || (bits & 0o2) !== 0) && (!need.execute || (bits & 0o1) !== 0)
  );
}

/**
 * Where `who` is stopped on the way to the last entry of `chain` (every entry from `/` down to the
 * target, as stat returns them): each directory above the target must be searchable, the target
 * must grant `need`. Undefined when the target is reachable.
 */
export function blockedAt(chain: readonly PathStat[], who: Account, need: AccessNeed): string | undefined {
  for (const [i, entry] of chain.entries()) {
    const last = i === chain.length - 1;
    if (!permits(entry, who, last ? need : { execute: true })) return entry.path;
  }
  return undefined;
}

export interface LayoutFacts {
  /** Running as root: PostgreSQL runs as the `postgres` user. */
  root: boolean;
  /** Absolute paths. */
  dataDir: string;
  runtimeDir: string;
  /** The binary package's `native/` folder. */
  nativeDir: string;
  version: string;
  /** Where the `postgres` user is stopped on the way to the binaries (root only). */
  binariesBlockedAt?: string;
  /** Where it is stopped on the way to `dataDir`'s parent folder (root only). */
  dataDirBlockedAt?: string;
  /** `<dataDir>/pg` holds a cluster. */
  clusterInDataDir: boolean;
  /** The relocated cluster for `dataDir` exists in `runtimeDir`. */
  clusterInRuntimeDir: boolean;
}

export interface Layout {
  /** The `native/` folder PostgreSQL runs from. */
  nativeDir: string;
  /** The binaries must first be copied from the package to `nativeDir`. */
  copyBinaries: boolean;
  binariesBlockedAt?: string;
  clusterDir: string;
  /** The cluster lives in the runtime folder instead of `<dataDir>/pg`. */
  relocated: boolean;
  dataDirBlockedAt?: string;
}

/** `<runtimeDir>/clusters/<first 16 hex of sha256(dataDir)>/pg`: one cluster per data directory. */
export function relocatedClusterDir(runtimeDir: string, dataDir: string): string {
  const hash = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
  return join(runtimeDir, 'clusters', hash, 'pg');
}

/**
 * Not root: everything where it is. Root: binaries the `postgres` user cannot reach are run from a
 * copy in `<runtimeDir>/postgres-<version>`; a data directory it cannot reach gets its cluster in the
 * runtime folder. An existing cluster is never abandoned for a new empty one: a relocated cluster
 * stays in use once the data directory becomes reachable, and a cluster in an unreachable data
 * directory is an error rather than a silent fresh start.
 */
export function planLayout(facts: LayoutFacts): Layout {
  const inPlace = join(facts.dataDir, 'pg');
  if (!facts.root) {
    return { nativeDir: facts.nativeDir, copyBinaries: false, clusterDir: inPlace, relocated: false };
  }
  const copyBinaries = facts.binariesBlockedAt !== undefined;
  const binaries = {
    nativeDir: copyBinaries
      ? join(facts.runtimeDir, `postgres-${facts.version.replace(/[^\w.-]/g, '_')}`)
      : facts.nativeDir,
    copyBinaries,
    ...(copyBinaries ? { binariesBlockedAt: facts.binariesBlockedAt } : {}),
  };
  const relocatedDir = relocatedClusterDir(facts.runtimeDir, facts.dataDir);
  if (facts.dataDirBlockedAt !== undefined) {
    if (facts.clusterInDataDir) {
      throw new EmbeddedPostgresError(
        `${inPlace} holds a PostgreSQL cluster that the ${SYSTEM_USER} user cannot reach (it cannot enter ${facts.dataDirBlockedAt}): ` +
          `move AOS_DATA_DIR to a folder it can enter, or run the service as the user who created the cluster`,
      );
    }
    return { ...binaries, clusterDir: relocatedDir, relocated: true, dataDirBlockedAt: facts.dataDirBlockedAt };
  }
  if (facts.clusterInRuntimeDir && !facts.clusterInDataDir) {
    return { ...binaries, clusterDir: relocatedDir, relocated: true };
  }
  return { ...binaries, clusterDir: inPlace, relocated: false };
}

/** blockedAt() for a real path (symlinks resolved; a missing path is blocked at itself). */
export async function blockedFor(path: string, account: Account, need: AccessNeed): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return path;
  }
  const chain: PathStat[] = [];
  let current: string = sep;
  for (const part of ['', ...real.split(sep).filter(Boolean)]) {
    current = join(current, part);
    const s = await stat(current);
    chain.push({ path: current, uid: s.uid, gid: s.gid, mode: s.mode });
  }
  return blockedAt(chain, account, need);
}

/** mkdir -p, folders it creates world-searchable (0755) whatever the umask. */
export async function mkdirOpen(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let dir = path; ; dir = dirname(dir)) {
    await chmod(dir, 0o755);
    if (dir === first || dirname(dir) === dir) break;
  }
}
