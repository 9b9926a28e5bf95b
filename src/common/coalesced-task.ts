/**
 * Runs an async task on demand, never twice at once: a kick while it runs schedules exactly one
 * more run after it (the work that arrived meanwhile), however many kicks came. With
 * `minIntervalMs`, runs start at least that far apart: under a steady stream of kicks the work
 * gathers into fewer, larger runs, while a kick after a quiet spell still runs at once. Errors are
 * the task's to handle; a rejected run is reported to `onError` and does not stop later kicks.
 */
export class CoalescedTask {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastStart = -Infinity;
  private delay: NodeJS.Timeout | undefined;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly minIntervalMs = 0,
  ) {}

  kick(): void {
    if (this.stopped) return;
    if (this.running || this.delay) {
      this.again ||= this.running !== undefined;
      return;
    }
    const wait = this.lastStart + this.minIntervalMs - performance.now();
    if (wait > 0) {
      this.delay = setTimeout(() => {
        this.delay = undefined;
        this.kick();
      }, wait);
      return;
    }
    this.lastStart = performance.now();
    this.running = this.task()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** No more runs; resolves when the one in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.again = false;
    clearTimeout(this.delay);
    this.delay = undefined;
    await this.running;
  }
}
