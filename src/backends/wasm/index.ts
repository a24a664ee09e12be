/** The WebAssembly backend: kernels encoded as wasm modules, run inline or on worker threads. */
export {
  setWasmInlineThreshold,
  setWasmThreads,
  shutdownWasmWorkers,
  wasmBackend,
  wasmPoolInfo,
  wasmStats,
  wasmThreads,
} from './backend.js';
