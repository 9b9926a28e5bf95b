import { markClosed, Output } from './output.js';

/** A stream that keeps what is written to it. */
function sink(isTTY: boolean) {
  const stream = {
    text: '',
    isTTY,
    columns: 80,
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

const output = (json: boolean, stdoutTTY: boolean, stderrTTY: boolean) => {
  const stdout = sink(stdoutTTY);
  const stderr = sink(stderrTTY);
  const out = new Output(json, stdout as unknown as NodeJS.WriteStream, stderr as unknown as NodeJS.WriteStream);
  return { out, stdout, stderr };
};

describe('output', () => {
  const noColor = process.env.NO_COLOR;
  beforeAll(() => delete process.env.NO_COLOR);
  afterAll(() => {
    if (noColor !== undefined) process.env.NO_COLOR = noColor;
  });

  it('draws the spinner on stderr when it is a terminal, never on stdout, and erases it when stopped', () => {
    const { out, stdout, stderr } = output(false, false, true);
    out.spin('waiting');
    out.line('an event');
    out.stop();
    expect(stdout.text).toBe('an event\n');
    expect(stderr.text).toContain('waiting');
    expect(stderr.text.endsWith('\r\u001b[2K')).toBe(true);
  });

  it('draws no spinner with --json, or when stderr is not a terminal', () => {
    for (const [json, stdoutTTY, stderrTTY] of [
      [true, true, true],
      [false, true, false],
    ]) {
      const { out, stdout, stderr } = output(json, stdoutTTY, stderrTTY);
      out.spin('waiting');
      out.stop();
      expect({ json, stdoutTTY, stderrTTY, written: stdout.text + stderr.text }).toEqual({
        json,
        stdoutTTY,
        stderrTTY,
        written: '',
      });
    }
  });

  it('colours each stream by its own terminal check', () => {
    const toFile = output(false, false, true).out;
    expect(toFile.colors.red('x')).toBe('x');
    expect(toFile.stderrColors.red('x')).not.toBe('x');
    const toTerminal = output(false, true, false).out;
    expect(toTerminal.colors.red('x')).not.toBe('x');
    expect(toTerminal.stderrColors.red('x')).toBe('x');
    expect(output(true, true, true).out.colors.red('x')).toBe('x');
  });

  it('writes nothing more once the reader of stdout has gone, and says so through `closed`', () => {
    const { out, stdout, stderr } = output(false, false, false);
    out.line('one');
    markClosed(stdout as unknown as NodeJS.WriteStream);
    expect(out.closed.aborted).toBe(true);
    out.line('two');
    out.data({ three: 3 });
    out.note('a note still reaches stderr');
    expect(stdout.text).toBe('one\n');
    expect(stderr.text).toBe('a note still reaches stderr\n');
  });
});
