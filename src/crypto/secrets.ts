/**
 * Copies of secrets in arrays that other libraries made, which wipe() of our own arrays cannot
 * reach: each is zeroed once we have what we need of it.
 *
 * node:crypto decodes the base64url fields of a JWK with `Buffer.from()`, which puts results of
 * under 4 KiB in Node's shared 8 KiB Buffer pool: importing a private key as JWK (the cheapest raw
 * import, ~10x faster than PKCS#8 DER here) leaves a copy of the key in the pool, out of reach of
 * wipe() and readable through the `.buffer` of any later small Buffer.
 *
 * {@link scrubPoolAfter} runs such an import between two one-byte pool allocations and zeroes
 * every copy of the key that appeared in between. Only runs of bytes equal to the key are
 * touched, so if the pool works differently (another Node, `Buffer.poolSize` changed) nothing
 * else can be overwritten; test/wiping.test.ts checks that the copy is gone.
 */

/** Zeroes each occurrence of `secret` in `bytes[start, end)`. */
function zeroCopies(buffer: ArrayBufferLike, start: number, end: number, secret: Uint8Array): void {
  const len = secret.length;
  if (len === 0 || end - start < len) return;
  const bytes = new Uint8Array(buffer, start, end - start);
  const first = secret[0];
  outer: for (let i = 0; i + len <= bytes.length; i++) {
    if (bytes[i] !== first) continue;
    for (let j = 1; j < len; j++) if (bytes[i + j] !== secret[j]) continue outer;
    bytes.fill(0, i, i + len);
    i += len - 1;
  }
}

/** `run()`, then zeroes the copies of `secret` it left in Node's Buffer pool. */
export function scrubPoolAfter<T>(secret: Uint8Array, run: () => T): T {
  const before = Buffer.allocUnsafe(1);
  try {
    return run();
  } finally {
    const after = Buffer.allocUnsafe(1);
    const from = before.byteOffset + 1;
    if (after.buffer === before.buffer) {
      zeroCopies(after.buffer, from, after.byteOffset, secret);
    } else {
      // The pool was replaced during run(): its allocations are at the end of the old pool and
      // at the start of the new one.
      zeroCopies(before.buffer, from, before.buffer.byteLength, secret);
      zeroCopies(after.buffer, 0, after.byteOffset, secret);
    }
  }
}

/** A copy of a Buffer that node:crypto returned with a secret in it (a DH output); the Buffer is zeroed. */
export function takeSecret(b: Buffer): Uint8Array {
  const out = new Uint8Array(b);
  b.fill(0);
  return out;
}

/**
 * The key pair `derive` makes of a private key from a generator (`secretKey`, e.g. @noble/curves'
 * randomSecretKey()); `derive` copies the key, and the generator's array is zeroed.
 */
export function keyPairFromGenerated<T>(secretKey: Uint8Array, derive: (secretKey: Uint8Array) => T): T {
  try {
    return derive(secretKey);
  } finally {
    secretKey.fill(0);
  }
}
