// Loaded before every test file (vitest.config.ts setupFiles): native kernels compile
// synchronously, so that no result depends on how long g++ takes (with the default policy, calls
// made while a kernel compiles may run on the fallback backend, whose roundings differ). Set
// through the environment, not setNativeOptions: importing the native module here would load it
// before a test file's vi.mock of it. Tests of the serving policy clear it (an explicit `sync`
// option wins over it too).
process.env.LAZYTENSOR_NATIVE_SYNC ??= '1';
