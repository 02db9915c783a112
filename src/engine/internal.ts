/**
 * Test-only hooks. Not exported from the package entry point.
 *
 * `kFixedEphemeral` lets the vector runner supply the ephemeral key pair that an `e` token would
 * otherwise generate. Using a fixed ephemeral in production would destroy forward secrecy, so this
 * is deliberately not a public option.
 */
export const kFixedEphemeral: unique symbol = Symbol('noisekit.fixedEphemeral');
