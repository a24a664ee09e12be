/**
 * Exit statuses of the command line: 2 for bad usage or bad input (one line on stderr naming the
 * file or option and the problem), 1 for a failure of the work, 0 on success.
 */
import { CommanderError } from 'commander';
import { LazyTensorError } from '../errors.js';

/** Bad usage: an unknown value, a missing file, an unreadable file. Exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT_OK = 0;
export const EXIT_WORK = 1;
export const EXIT_USAGE = 2;

/**
 * The exit status and the one line to print for an error thrown by a command (undefined: commander
 * printed it already).
 */
export function classify(e: unknown): { status: number; line?: string } {
  if (e instanceof CommanderError) {
    const ok =
      e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
    return { status: ok ? EXIT_OK : EXIT_USAGE };
  }
  const oneLine = (s: string) => s.split('\n')[0]!.trim();
  if (e instanceof UsageError || e instanceof LazyTensorError)
    return { status: EXIT_USAGE, line: `lazytensor: ${oneLine(e.message)}` };
  const msg = e instanceof Error ? e.message : String(e);
  return { status: EXIT_WORK, line: `lazytensor: failed: ${oneLine(msg)}` };
}
