/**
 * Sees every Uint8Array that JavaScript code allocates during one synchronous call: the global
 * constructor is swapped for a subclass that reports each new array (instanceof still sees plain
 * arrays as Uint8Arrays) and put back afterwards.
 */
export function trackArrays(run: () => void, onMade: (array: Uint8Array) => void): void {
  const Original = globalThis.Uint8Array;
  class Tracked extends Original {
    constructor(...args: ConstructorParameters<typeof Uint8Array>) {
      super(...(args as unknown as [number]));
      onMade(this);
    }
    static override [Symbol.hasInstance](x: unknown): boolean {
      return Function.prototype[Symbol.hasInstance].call(Original, x);
    }
  }
  globalThis.Uint8Array = Tracked as unknown as Uint8ArrayConstructor;
  try {
    run();
  } finally {
    globalThis.Uint8Array = Original;
  }
}

/** The bytes of every Uint8Array allocated during `run()`: for tests that bound how much a reader copies. */
export function bytesAllocatedBy(run: () => void): number {
  let made = 0;
  trackArrays(run, (a) => (made += a.length));
  return made;
}
