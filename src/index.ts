/**
 * noisekit: the Noise Protocol Framework (revision 34) for Node.js. Public exports only.
 */
export { NoiseError, isNoiseError, ERROR_CODES, type NoiseErrorCode } from './errors.js';
export { parseProtocolName, formatProtocolName, type ProtocolName } from './protocol-name.js';
export { HandshakeState, resolvePattern, type HandshakeOptions, type HandshakeAction } from './engine/handshake-state.js';
export { TransportState, MAX_PLAINTEXT_LENGTH } from './engine/transport-state.js';
export { CipherState, MAX_NONCE, MAX_MESSAGE_LENGTH, TAG_LENGTH } from './engine/cipher-state.js';
export { SymmetricState } from './engine/symmetric-state.js';
export type { KeyPair, Dh, Cipher, CipherKey, Hash, CryptoBackend, Suite } from './crypto/types.js';
export { hkdf } from './crypto/hkdf.js';
export { BACKENDS, backendChain, resolveSuite, type BackendChoice } from './crypto/resolve.js';
export { stablelibBackend } from './crypto/stablelib.js';
export { nodeBackend } from './crypto/node.js';
export { generateKeyPair, keyPairFromPrivate } from './crypto/keys.js';
export type { HandshakePattern, MessagePattern, Token, Direction } from './patterns/types.js';
export { formatPattern, isOneWay, usesPsk, pskCount } from './patterns/types.js';
export { parsePattern, parsePatterns } from './patterns/parse.js';
export { validatePattern } from './patterns/validate.js';
export { applyModifiers } from './patterns/modifiers.js';
export { PatternRegistry, builtinPatterns, loadPatternDir } from './patterns/registry.js';
export {
  PipesInitiator, PipesResponder, PIPES_TYPE, pipesProtocol, MemoryKeyCache, FileKeyCache,
  type PipesInitiatorOptions, type PipesMode, type PipesOptions, type KeyCache,
} from './pipes/index.js';
export { ReplayWindow, DEFAULT_REPLAY_WINDOW } from './datagram/replay-window.js';
export { DatagramTransport, NONCE_LENGTH, type DatagramOptions, type DatagramStats } from './datagram/datagram-transport.js';
export { DatagramSession, type HandshakeLike, type HandleResult, type SessionStats } from './datagram/session.js';
export { createUdpServer, udpConnect, UdpServer, UdpSession, DEFAULT_RETRANSMIT_INTERVAL, type UdpOptions, type UdpConnectOptions, type UdpServerOptions } from './net/udp.js';
export { HalfDuplexTransport, type HalfDuplexOptions } from './engine/half-duplex.js';
export { pipesConnect, createPipesServer, PipesServer, type PipesConnectOptions, type PipesServerOptions, type PipesSocketOptions, type PipesResult } from './net/pipes.js';
export type { FallbackOptions } from './engine/handshake-state.js';
export { encodeFrame, FrameDecoder, FRAME_HEADER_LENGTH } from './net/framing.js';
export { NoiseSocket, type TransportInfo, type NoiseSocketConstructorOptions } from './net/noise-socket.js';
export { connect, type ConnectOptions, type ConnectTarget } from './net/connect.js';
export { createServer, NoiseServer, type NoiseServerOptions, type ConnectionInfo, type NoiseServerStats } from './net/server.js';
export { authorizedKeys, tofu, parsePublicKey, parseAuthorizedKeys, parseKnownHosts } from './net/trust.js';
export { RekeyPolicy } from './net/rekey-policy.js';
export {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_CONCURRENT_HANDSHAKES,
  type NoiseSocketOptions,
  type VerifyRemote,
  type HandshakePayload,
  type RekeyOptions,
} from './net/options.js';
