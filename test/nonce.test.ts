/**
 * Nonce layouts, written out by hand from the spec (sections 12.3 and 12.4): four zero bytes,
 * then the 64-bit counter, little-endian for ChaChaPoly and big-endian for AESGCM. The vectors
 * check the same through whole handshakes; this names the bytes and the scratch's reuse.
 */
import { expect } from 'chai';
import { aesGcmNonceScratch, chachaNonceScratch } from '../src/crypto/nonce.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('nonce', () => {
  it('ChaChaPoly: 32 bits of zeros, then n little-endian (12.3)', () => {
    const nonce = chachaNonceScratch();
    expect(hex(nonce(0n))).to.equal('000000000000000000000000');
    expect(hex(nonce(1n))).to.equal('000000000100000000000000');
    expect(hex(nonce(0x0102030405060708n))).to.equal('000000000807060504030201');
    expect(hex(nonce(2n ** 64n - 2n))).to.equal('00000000feffffffffffffff');
  });

  it('AESGCM: 32 bits of zeros, then n big-endian (12.4)', () => {
    const nonce = aesGcmNonceScratch();
    expect(hex(nonce(1n))).to.equal('000000000000000000000001');
    expect(hex(nonce(0x0102030405060708n))).to.equal('000000000102030405060708');
  });

  it('a writer reuses one array with a 12-byte buffer of its own, fully rewritten on every call; writers do not share it', () => {
    const a = chachaNonceScratch();
    const b = chachaNonceScratch();
    const first = a(2n ** 64n - 2n);
    expect(a(1n)).to.equal(first);
    expect(hex(first)).to.equal('000000000100000000000000');
    expect(b(5n)).to.not.equal(first);
    expect(hex(first)).to.equal('000000000100000000000000');
    expect(first.byteOffset).to.equal(0);
    expect(first.buffer.byteLength).to.equal(12);
  });
});
