/** `lazytensor cache info|clear`: the native backend's disk cache of compiled kernels. */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { clearNativeCache, resolveNativeOptions } from '../../backends/native/index.js';
import { addCommon, Context } from '../context.js';

function nativeFolder(): string {
  return path.join(resolveNativeOptions().cacheRoot, 'native');
}

function usage(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return { files, bytes };
  }
  for (const n of names) {
    try {
      const st = statSync(path.join(dir, n));
      if (st.isFile()) {
        files++;
        bytes += st.size;
      }
    } catch {
      // removed meanwhile
    }
  }
  return { files, bytes };
}

export function registerCache(program: Command): void {
  const cache = program.command('cache').description('the disk cache of compiled native kernels');
  addCommon(cache.command('info').description('where the cache is, how many files and bytes')).action(
    (opts) => {
      const ctx = new Context(opts);
      const dir = nativeFolder();
      const u = usage(dir);
      ctx.report({ dir, ...u }, [
        `native kernel cache: ${dir}`,
        `${u.files} files, ${(u.bytes / 1e6).toFixed(2)} MB`,
      ]);
    },
  );
  addCommon(
    cache.command('clear').description('delete every compiled kernel (they are rebuilt on demand)'),
  ).action((opts) => {
    const ctx = new Context(opts);
    const dir = nativeFolder();
    const removed = clearNativeCache();
    ctx.report({ dir, removed }, [`removed ${removed} files from ${dir}`]);
  });
}
