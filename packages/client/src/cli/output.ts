import pc from 'picocolors';
import type { Colors } from 'picocolors/types.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Streams whose reader has gone (`aos … | head`): writing to them is pointless, not an error. */
const closedStreams = new WeakMap<NodeJS.WritableStream, AbortController>();

function closedController(stream: NodeJS.WritableStream): AbortController {
  let controller = closedStreams.get(stream);
  if (!controller) closedStreams.set(stream, (controller = new AbortController()));
  return controller;
}

/** Marks `stream` as closed: every Output writing to it stops writing, and its `closed` signal fires. */
export function markClosed(stream: NodeJS.WritableStream): void {
  closedController(stream).abort();
}

/** Whether colours suit `stream`: a terminal, and no NO_COLOR (no-color.org). */
const colourful = (stream: NodeJS.WriteStream) => stream.isTTY === true && !process.env.NO_COLOR;

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
 * Each stream is judged on its own: stdout piped into a file still leaves a spinner and coloured
 * notes on a terminal's stderr.
 */
export class Output {
  /** Colours for what goes to stdout: on when stdout is a terminal and there is no --json. */
  readonly colors: Colors;
  /** Colours for notes and errors on stderr: on when stderr is a terminal. */
  readonly stderrColors: Colors;
  private spinner: Spinner | undefined;

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.colors = pc.createColors(!json && colourful(stdout));
    this.stderrColors = pc.createColors(colourful(stderr));
  }

  /** Fires once stdout's reader has gone; a command with no end of its own (a tail) stops then. */
  get closed(): AbortSignal {
    return closedController(this.stdout).signal;
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

  /** A note for people (stderr), so stdout stays the answer. Colour it with `stderrColors`. */
  note(text: string): void {
    this.spinner?.clear();
    this.stderr.write(`${text}\n`);
  }

  error(text: string): void {
    this.stop();
    this.stderr.write(`${text}\n`);
  }

  /** A spinner with `text` until `stop`: on stderr, only when it is a terminal, never with --json. */
  spin(text: string): void {
    if (this.json || this.stderr.isTTY !== true) return;
    if (this.spinner) this.spinner.update(text);
    else this.spinner = new Spinner(this.stderr, text, this.stderrColors);
  }

  /** Stops the spinner and erases its line. */
  stop(): void {
    this.spinner?.stop();
    this.spinner = undefined;
  }

  private write(text: string): void {
    this.spinner?.clear();
    if (this.closed.aborted || this.stdout.destroyed || this.stdout.writableEnded) return;
    this.stdout.write(text);
  }
}
