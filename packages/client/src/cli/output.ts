import pc from 'picocolors';
import type { Colors } from 'picocolors/types.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * One line redrawn in place. Kept to a single clipped line on purpose: a line that wraps cannot be
 * erased reliably (terminals report their width late, or as 0 under `script`).
 */
class Spinner {
  private frame = 0;
  private readonly timer: NodeJS.Timeout;
  private shown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private text: string,
    private readonly colors: Colors,
  ) {
    this.timer = setInterval(() => this.draw(), 80);
    // A spinner never keeps the process alive by itself.
    this.timer.unref();
    this.draw();
  }

  update(text: string): void {
    this.text = text;
  }

  /** Erases the line, so other output can be written; the next tick draws it again. */
  clear(): void {
    if (this.shown) this.stream.write('\r\u001b[2K');
    this.shown = false;
  }

  stop(): void {
    clearInterval(this.timer);
    this.clear();
  }

  private draw(): void {
    const width = Math.max(10, (this.stream.columns || 80) - 3);
    const text = this.text.length > width ? `${this.text.slice(0, width - 1)}…` : this.text;
    this.frame = (this.frame + 1) % FRAMES.length;
    this.stream.write(`\r\u001b[2K${this.colors.cyan(FRAMES[this.frame])} ${this.colors.dim(text)}`);
    this.shown = true;
  }
}

/**
 * Where a command writes. People get colours and a spinner; pipes, files and `--json` get plain
 * text (and with --json nothing but the JSON on stdout), so scripts can parse what they read.
 */
export class Output {
  readonly colors: Colors;
  /** Whether a person is looking: a terminal on stdout, and no --json. */
  readonly interactive: boolean;
  private spinner: Spinner | undefined;

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.interactive = stdout.isTTY === true && !json;
    // NO_COLOR (no-color.org) turns colours off even on a terminal.
    this.colors = pc.createColors(this.interactive && !process.env.NO_COLOR);
  }

  /** The raw answer, for scripts. */
  data(value: unknown): void {
    this.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One JSON document per line (a stream of events). */
  ndjson(value: unknown): void {
    this.write(`${JSON.stringify(value)}\n`);
  }

  lines(lines: string[]): void {
    if (lines.length > 0) this.write(`${lines.join('\n')}\n`);
  }

  line(text = ''): void {
    this.write(`${text}\n`);
  }

  /** A note for people (stderr), so stdout stays the answer. */
  note(text: string): void {
    this.spinner?.clear();
    this.stderr.write(`${text}\n`);
  }

  error(text: string): void {
    this.stop();
    this.stderr.write(`${text}\n`);
  }

  /** A spinner with `text` until `stop`; only for people. */
  spin(text: string): void {
    if (!this.interactive) return;
    if (this.spinner) this.spinner.update(text);
    else this.spinner = new Spinner(this.stdout, text, this.colors);
  }

  stop(): void {
    this.spinner?.stop();
    this.spinner = undefined;
  }

  private write(text: string): void {
    this.spinner?.clear();
    this.stdout.write(text);
  }
}
