/** The formula IR: nodes, ops, dialect interfaces. */

export * from './dialect.js';
export * from './node.js';
export * from './opRegistry.js';
export * from './ops/index.js';
