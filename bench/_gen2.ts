import { generateUnit } from '../src/backends/native/codegen.js';
import { op, Var } from '../src/formula/index.js';
import { buildSpec } from '../src/kernel/spec.js';
const { spec } = buildSpec({ formula: op('SqDist', [Var(0, 50, 'i'), Var(1, 50, 'j')]), kind: 'ArgKMin', k: 10, axis: 'j', dtype: 'float32' });
console.log(generateUnit([spec]).source);
