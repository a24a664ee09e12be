// Loaded before every test file (vitest.config.ts setupFiles): native kernels compile
// synchronously, into the tests' own cache, so that no result depends on how long g++ takes
// (with the default policy, calls made while a kernel compiles may run on the fallback backend,
// whose roundings differ). Tests of the serving policy set their own options.
import './backends.js';
