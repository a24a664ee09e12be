/**
 * Progress bars on stderr, only when stderr is a terminal and --quiet is not set; otherwise every
 * call is a no-op, so redirected or piped runs print nothing but their results.
 */
import { Presets, SingleBar } from 'cli-progress';

/** A progress reporter: `start` a task of `total` steps, `tick` through it, `stop` at the end. */
export interface Progress {
  start(label: string, total: number): void;
  tick(steps?: number): void;
  stop(): void;
}

const SILENT: Progress = { start() {}, tick() {}, stop() {} };

/** A progress bar on `stream` when it is a terminal and not `quiet`, else a silent reporter. */
export function makeProgress(stream: NodeJS.WriteStream, quiet: boolean): Progress {
  if (quiet || !stream.isTTY) return SILENT;
  let bar: SingleBar | undefined;
  return {
    start(label, total) {
      bar?.stop();
      bar = new SingleBar(
        {
          stream,
          format: `${label.padEnd(18)} {bar} {percentage}% | {value}/{total}`,
          hideCursor: true,
          clearOnComplete: true,
        },
        Presets.shades_classic,
      );
      bar.start(total, 0);
    },
    tick(steps = 1) {
      bar?.increment(steps);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
