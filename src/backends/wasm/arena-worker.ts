import { DRIVER_SOURCE } from '../js/driver.js';
import { PRELUDE_SOURCE } from '../js/prelude.js';
import { CTRL, STATE_CLOSED, STOP_OFFSET } from '../js/worker-source.js';

/**
 * Slots of a shared-memory job after the pool's control block (offsets from
 * ctrlLength(workers)): the kernel's number, nJ, and the byte addresses in the shared memory of
 * the chunk bounds and the block-sparse ranges (-1 when dense) with their counts; READY counts
 * the workers that have started.
 */
export const JOB = { KERNEL: 0, NJ: 1, BOUNDS: 2, RR: 3, SL: 4, CR: 5, NB: 6, NR: 7, READY: 8 } as const;
export const JOB_WORDS = 9;

/**
 * The source of a worker of the wasm backend's shared-memory pool, for Node's worker_threads
 * (`node`: CommonJS, eval) and for Web Workers (`web`: a classic script from a Blob URL). A job is
 * described entirely by the control block and the shared memory (no message per job): the worker
 * wakes on EPOCH, joins the open job if it has that kernel (kernel sources arrive by message, once
 * per kernel; a worker that has not got one yet simply does not join), runs chunks of rows on its
 * own instance of the kernel on the shared memory, and counts itself done. Node workers block in
 * Atomics.wait and read kernel messages synchronously; Web Workers wait with Atomics.waitAsync
 * (else poll every millisecond), so their messages keep coming.
 */
export function arenaWorkerSource(env: 'node' | 'web'): string {
  const core = `
'use strict';
const C = ${JSON.stringify(CTRL)};
const J = ${JSON.stringify(JOB)};
let ctrl, memory, index, JB, JOINED, report;
const $lib = new Function(${JSON.stringify(PRELUDE_SOURCE)})();
const runRows = new Function(${JSON.stringify(`${DRIVER_SOURCE}\nreturn runRows;`)})();
const makes = new Map();
function setup(d) {
  ctrl = new Int32Array(d.ctrlBuffer);
  memory = d.memory;
  index = d.index;
  JB = C.DEAD + 2 * d.workers;
  JOINED = C.DEAD + d.workers + index;
  Atomics.add(ctrl, JB + J.READY, 1);
}
function addKernel(id, source) {
  try {
    makes.set(id, new Function('$lib', '$arena', source)($lib, memory));
  } catch (e) {
    makes.set(id, e instanceof Error ? e : new Error(String(e)));
  }
}
const view = (at, n) => (at < 0 ? null : new Int32Array(memory.buffer, at, n));
function job() {
  const s = Atomics.load(ctrl, C.STATE);
  if ((s & ${STATE_CLOSED}) !== 0) return;
  const make = makes.get(Atomics.load(ctrl, JB + J.KERNEL));
  if (make === undefined) return;
  const nJ = Atomics.load(ctrl, JB + J.NJ);
  const n = Atomics.load(ctrl, C.NCHUNKS);
  const at = [J.BOUNDS, J.RR, J.SL, J.CR].map((k) => Atomics.load(ctrl, JB + k));
  const nb = Atomics.load(ctrl, JB + J.NB);
  const nr = Atomics.load(ctrl, JB + J.NR);
  // Joins only if the job read above is still the open one.
  if (Atomics.compareExchange(ctrl, C.STATE, s, s + 1) !== s) return;
  Atomics.store(ctrl, JOINED, (s >>> 12) + 1);
  try {
    if (make instanceof Error) throw make;
    const kernel = make.attach();
    const bounds = view(at[0], n + 1);
    const rr = view(at[1], 2 * nb), sl = view(at[2], nb), cr = view(at[3], 2 * nr);
    for (;;) {
      const c = Atomics.add(ctrl, C.NEXT, 1);
      if (c >= n) break;
      runRows(kernel, nJ, rr, sl, cr, bounds[c], bounds[c + 1]);
      Atomics.add(ctrl, C.WORKER_CHUNKS, 1);
    }
  } catch (e) {
    Atomics.store(ctrl, C.NEXT, ${STOP_OFFSET});
    if (Atomics.compareExchange(ctrl, C.ERR, 0, index + 2) === 0) report(String((e && e.stack) || e));
  }
  Atomics.add(ctrl, C.DONE, 1);
  Atomics.notify(ctrl, C.DONE);
}
`;
  if (env === 'node') {
    return `${core}
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
setup(workerData);
const port = workerData.port;
report = (m) => port.postMessage(m);
process.on('exit', () => {
  Atomics.store(ctrl, C.DEAD + index, 1);
  Atomics.notify(ctrl, C.DONE);
});
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, C.EPOCH, seen);
  seen = Atomics.load(ctrl, C.EPOCH);
  if (Atomics.load(ctrl, C.SHUTDOWN) !== 0) break;
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) addKernel(m.message.id, m.message.source);
  job();
}
`;
  }
  return `${core}
let seen = 0;
function wake() {
  seen = Atomics.load(ctrl, C.EPOCH);
  if (Atomics.load(ctrl, C.SHUTDOWN) !== 0) return self.close();
  job();
  arm();
}
function arm() {
  if (typeof Atomics.waitAsync === 'function') {
    const w = Atomics.waitAsync(ctrl, C.EPOCH, seen);
    if (w.async) w.value.then(wake);
    else wake();
  } else {
    setTimeout(() => (Atomics.load(ctrl, C.EPOCH) !== seen ? wake() : arm()), 1);
  }
}
self.onmessage = (e) => {
  const d = e.data;
  if (d.type === 'init') {
    setup(d);
    report = (m) => self.postMessage(m);
    self.addEventListener('error', () => Atomics.store(ctrl, C.DEAD + index, 1));
    arm();
  } else if (d.type === 'kernel') {
    addKernel(d.id, d.source);
  }
};
`;
}
