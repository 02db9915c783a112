/**
 * Noise Pipes (spec sections 10.2-10.4) at the engine level: the two state machines, the
 * negotiation bytes and the client's key cache. Re-exported from the package entry point.
 */
export { PipesInitiator, type PipesInitiatorOptions } from './initiator.js';
export { PipesResponder } from './responder.js';
export { PIPES_TYPE, type PipesMode } from './negotiation.js';
export { pipesProtocol, type PipesOptions } from './options.js';
export { MemoryKeyCache, FileKeyCache, type KeyCache } from './key-cache.js';
