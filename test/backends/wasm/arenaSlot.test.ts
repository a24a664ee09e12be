import { describe, expect, it } from 'vitest';
import { ArenaSlot, type Spawner } from '../../../src/backends/wasm/arenaPool.js';
import { arenaMemory } from '../../../src/backends/wasm/memory.js';

/** Web Workers that fail: the wasm backend must then compute on one thread, not fail its runs. */
describe('the shared-memory pool where workers cannot start', () => {
  it('gives no pool, and the reason, when starting a worker throws', () => {
    class Refused {
      constructor() {
        throw new Error('worker-src blocked');
      }
    }
    const spawner = { kind: 'web', Worker: Refused } as unknown as Spawner;
    const slot = new ArenaSlot();
    expect(slot.get(2, arenaMemory(), spawner)).toBeUndefined();
    expect(slot.failed).toBe('workers cannot start: worker-src blocked');
    expect(slot.get(2, arenaMemory(), spawner)).toBeUndefined();
  });

  it('stops remaking a pool whose workers all failed before any started', () => {
    let made = 0;
    const handlers: ((e: { message?: string }) => void)[] = [];
    class Failing {
      constructor() {
        made++;
      }
      postMessage(): void {}
      terminate(): void {}
      addEventListener(_type: 'error', f: (e: { message?: string }) => void): void {
        handlers.push(f);
      }
    }
    const spawner = { kind: 'web', Worker: Failing } as unknown as Spawner;
    const slot = new ArenaSlot();
    const pool = slot.get(3, arenaMemory(), spawner);
    expect(pool?.size).toBe(2);
    expect(made).toBe(2);
    expect(slot.get(3, arenaMemory(), spawner)).toBe(pool);
    handlers[0]!({ message: 'script error' });
    expect(slot.get(3, arenaMemory(), spawner)).toBeUndefined();
    expect(slot.failed).toBe('worker 0 failed: script error');
    expect(made).toBe(2);
  });
});
