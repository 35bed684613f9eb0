/**
 * A one-line progress bar for a terminal: redrawn in place with a carriage return, erased when
 * done. Nothing is written unless the stream is a TTY, so pipes and logs stay clean.
 */

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

const WIDTH = 30;

export interface Progress {
  update(done: number, total: number): void;
  /** Erases the bar. */
  end(): void;
}

export function progressBar(stream: ProgressStream, label: string): Progress | null {
  if (stream.isTTY !== true) return null;
  let drawn = false;
  return {
    update(done, total) {
      const filled = Math.round((done / total) * WIDTH);
      stream.write(
        `\r${label} [${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${done}/${total}`,
      );
      drawn = true;
    },
    end() {
      if (drawn) stream.write("\r\x1b[2K");
    },
  };
}
