import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const CLIENT_DIR = resolve(__dirname, '../../packages/client');
export const CLI_PATH = resolve(CLIENT_DIR, 'dist/cli.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Fails with the fix when the client was not built (npm test builds it in pretest). */
export function assertClientBuilt(): void {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run npm run build -w @aos/client`);
}

/**
 * Runs a program as a child process with only the environment given (plus PATH and HOME), so
 * nothing from the test runner (NODE_OPTIONS, AOS_* of the developer's shell) leaks into it.
 */
export function run(
  command: string,
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    input?: string;
    timeoutMs?: number;
    /** Close the reading end of its stdout at once, as `| head` does once it has its lines. */
    closeStdout?: boolean;
  } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    if (options.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${command} ${args.join(' ')} still running after ${options.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The built `aos` command line against a server. */
export function cli(
  args: string[],
  server: { url: string; key?: string },
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number; closeStdout?: boolean } = {},
): Promise<CliResult> {
  return run(process.execPath, [CLI_PATH, ...args], {
    ...options,
    // No saved login of whoever runs the tests: a config path that does not exist.
    env: { AOS_URL: server.url, AOS_API_KEY: server.key, AOS_CONFIG: '/nonexistent/aos-config.json', ...options.env },
  });
}
