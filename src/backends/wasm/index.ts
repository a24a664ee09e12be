/** The WebAssembly backend: kernels encoded as wasm modules, run inline or on worker threads. */
export { setWasmInlineThreshold, wasmBackend, wasmStats } from './backend.js';
export { setWasmSharedMemory } from './memory.js';
export {
  setWasmCallerWorks,
  setWasmThreads,
  shutdownWasmWorkers,
  startWasmWorkers,
  type WasmPoolInfo,
  wasmPoolInfo,
  wasmThreads,
} from './threads.js';
