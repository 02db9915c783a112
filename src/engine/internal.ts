/**
 * Test-only hooks. Not exported from the package entry point.
 *
 * `kFixedEphemeral` lets the vector runner supply the ephemeral key pair that an `e` token would
 * otherwise generate. Using a fixed ephemeral in production would destroy forward secrecy, so this
 * is deliberately not a public option.
 */
export const kFixedEphemeral: unique symbol = Symbol('noisekit.fixedEphemeral');

/**
 * `kFinalChainingKey`: a profile-only hook. A function under this key in HandshakeOptions is
 * called once, when the last handshake message is written or read, with a copy of the final
 * chaining key `ck` (just before the engine wipes its own). The receiver owns the copy and must
 * wipe it. Lightning BOLT #8 needs this: its key rotation derives new keys from `ck`
 * ("rck = sck = ck", "Lightning Message Key Rotation"), which plain Noise never reveals.
 * Deliberately not a public option: exposing `ck` is only safe for a profile that needs it.
 */
export const kFinalChainingKey: unique symbol = Symbol('noisekit.finalChainingKey');
