import { ChildProcess, spawn } from 'node:child_process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A real server the tests start from its Debian binary: spawned with its output collected, then
 * waited on until a probe says it serves — failing at once, with what it printed, if it cannot
 * start or exits first. Stopping is the caller's: servers end their process trees differently.
 */
export class ServerProcess {
  readonly child: ChildProcess;
  private printed = '';
  private failure: Error | undefined;

  constructor(
    private readonly name: string,
    binary: string,
    args: string[],
    options: { detached?: boolean } = {},
  ) {
    this.child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached });
    const collect = (chunk: Buffer) => (this.printed += chunk.toString());
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.child.once('error', (error) => {
      this.failure = new Error(`${name} could not start (is it installed?): ${error.message}`);
    });
    this.child.once('exit', (code) => {
      this.failure ??= new Error(`${name} exited with ${code}: ${this.printed}`);
    });
  }

  /** What it printed so far (stdout and stderr). */
  get output(): string {
    return this.printed;
  }

  /** Polls `probe` (which throws while the server is not ready) until it passes, or fails after `timeoutMs`. */
  async waitReady(probe: () => Promise<void>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.failure) throw this.failure;
      try {
        await probe();
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `${this.name} was not ready within ${timeoutMs / 1000} s (${String(error)}): ${this.printed}`,
            {
              cause: error,
            },
          );
        }
        await sleep(50);
      }
    }
  }
}
