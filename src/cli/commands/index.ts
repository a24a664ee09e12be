/**
 * The commands, one file each: a command is a function that adds itself to the program.
 */
import type { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerCache } from './cache.js';
import { registerGmm } from './gmm.js';
import { registerInfo } from './info.js';
import { registerKmeans } from './kmeans.js';
import { registerKnn } from './knn.js';
import { registerOt } from './ot.js';
import { registerRegister } from './register.js';

export const COMMANDS: ((program: Command) => void)[] = [
  registerInfo,
  registerKnn,
  registerOt,
  registerRegister,
  registerKmeans,
  registerGmm,
  registerBench,
  registerCache,
];
