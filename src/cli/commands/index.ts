/**
 * The commands, one file each: a command is a function that adds itself to the program. The
 * learning toolkit (kmeans, gmm) and registration (register) add theirs here when they land.
 */
import type { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerCache } from './cache.js';
import { registerInfo } from './info.js';
import { registerKnn } from './knn.js';
import { registerOt } from './ot.js';

export const COMMANDS: ((program: Command) => void)[] = [
  registerInfo,
  registerKnn,
  registerOt,
  registerBench,
  registerCache,
];
