/** The WebAssembly backend: kernels encoded as wasm modules, run inline or on worker threads. */
export {
  setWasmCallerWorks,
  setWasmInlineThreshold,
  setWasmThreads,
  shutdownWasmWorkers,
  startWasmWorkers,
  type WasmPoolInfo,
  wasmBackend,
  wasmPoolInfo,
  wasmStats,
  wasmThreads,
} from './backend.js';
export { setWasmSharedMemory } from './memory.js';
