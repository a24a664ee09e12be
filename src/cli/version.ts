import { createRequire } from 'node:module';

/** The package version (package.json is two folders up from src/cli and from dist/cli). */
export function version(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
