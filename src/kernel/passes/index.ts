/**
 * Passes on the IR of a kernel that any backend may use: elementwise analysis, the gather
 * push-down of component selections, and the output split of large reduction states.
 */
export * from './elementwise.js';
export * from './gather.js';
export * from './split.js';
