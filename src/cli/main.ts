#!/usr/bin/env node
/**
 * The lazytensor command line: point-cloud files in, results, pictures and progress out.
 * Exit status 0 on success, 1 when the work fails, 2 on bad usage or bad input (one line on stderr).
 */
import { Command, CommanderError } from 'commander';
import { shutdownJsWorkers } from '../backends/js/index.js';
import { COMMANDS } from './commands/index.js';
import { classify, EXIT_USAGE } from './errors.js';
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
      // Help written to stderr is commander's answer to a missing subcommand: replaced by one line.
      writeErr: () => undefined,
      outputError: (s) => process.stderr.write(s.split('\n')[0]!.replace(/^error: /, 'lazytensor: ') + '\n'),
    });
  for (const add of COMMANDS) add(p);
  return p;
}

/**
 * `lazytensor` or `lazytensor cache` without a subcommand: a usage error (exit 2) in one line
 * naming the commands expected, not the whole help on stderr with exit status 0.
 */
function missingCommand(args: string[]): number {
  let cmd = program();
  const path = ['lazytensor'];
  for (const a of args) {
    const sub = cmd.commands.find((c) => c.name() === a);
    if (!sub) break;
    cmd = sub;
    path.push(a);
  }
  const names = cmd.commands.map((c) => c.name()).filter((n) => n !== 'help');
  const where = path.join(' ');
  process.stderr.write(
    `lazytensor: missing command after '${where}' (expected one of ${names.join(', ')}); see '${where} --help'\n`,
  );
  return EXIT_USAGE;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError && e.code === 'commander.help' && e.exitCode !== 0)
      return missingCommand(argv.slice(2));
    const { status, line } = classify(e);
    if (line) process.stderr.write(`${line}\n`);
    if (process.env.LAZYTENSOR_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return status;
  }
}

const status = await main(process.argv);
shutdownJsWorkers();
process.exitCode = status;
