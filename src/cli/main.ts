#!/usr/bin/env node
/**
 * The lazytensor command line: point-cloud files in, results, pictures and progress out.
 * Exit status 0 on success, 1 when the work fails, 2 on bad usage or bad input (one line on stderr).
 */
import { Command } from 'commander';
import { shutdownJsWorkers } from '../backends/js/index.js';
import { COMMANDS } from './commands/index.js';
import { classify } from './errors.js';
import { version } from './version.js';

function program(): Command {
  const p = new Command('lazytensor')
    .description(
      'Symbolic matrices and optimal transport on point-cloud files (.npy, .csv, .ply, .obj, .xyz, .json)',
    )
    .version(version(), '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      outputError: (s, write) => write(s.split('\n')[0]!.replace(/^error: /, 'lazytensor: ') + '\n'),
    });
  for (const add of COMMANDS) add(p);
  return p;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (e) {
    const { status, line } = classify(e);
    if (line) process.stderr.write(`${line}\n`);
    if (process.env.LAZYTENSOR_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return status;
  }
}

const status = await main(process.argv);
shutdownJsWorkers();
process.exitCode = status;
