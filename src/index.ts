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
export { DatagramSession, type DatagramSessionOptions, type HandshakeLike, type HandleResult, type SessionStats } from './datagram/session.js';
export { type CookiePolicy } from './datagram/cookie.js';
export { createUdpServer, udpConnect, UdpServer, UdpSession, DEFAULT_RETRANSMIT_INTERVAL, MAX_UDP_DATAGRAM, type UdpServerEvents, type UdpOptions, type UdpConnectOptions, type UdpServerOptions } from './net/udp.js';
export { HalfDuplexTransport, type HalfDuplexOptions } from './engine/half-duplex.js';
export { pipesConnect, createPipesServer, PipesServer, type PipesServerEvents, type PipesConnectOptions, type PipesServerOptions, type PipesSocketOptions, type PipesResult } from './net/pipes.js';
export type { FallbackOptions } from './engine/handshake-state.js';
export { encodeFrame, writeFrame, FrameDecoder, FRAME_HEADER_LENGTH, FRAME_GATHER_MIN } from './net/framing.js';
export { NoiseSocket, type TransportInfo, type NoiseSocketConstructorOptions } from './net/noise-socket.js';
export { connect, type ConnectOptions, type ConnectTarget } from './net/connect.js';
export { createServer, NoiseServer, type NoiseServerEvents, type NoiseServerOptions, type ConnectionInfo, type NoiseServerStats } from './net/server.js';
export { DEFAULT_MAX_HANDSHAKES_PER_ADDRESS } from './net/address-slots.js';
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
export { p256Noble, p256Node, P256_PUBLIC_KEY_LENGTH } from './crypto/p256.js';
export { secp256k1Dh, isValidSecp256k1PublicKey, SECP256K1_PUBLIC_KEY_LENGTH } from './crypto/secp256k1.js';
export { xchachaPoly, xchachaNonce, XCHACHA_NONCE_LENGTH } from './crypto/xchacha.js';
export { Bolt8Handshake, BOLT8_PROTOCOL, BOLT8_PROLOGUE, BOLT8_VERSION, BOLT8_ACT_LENGTHS, type Bolt8HandshakeOptions, type Bolt8Action } from './profiles/bolt8.js';
export { Bolt8Transport, Bolt8Reader, BOLT8_MAX_MESSAGE_LENGTH, BOLT8_HEADER_LENGTH, BOLT8_ROTATION_INTERVAL, type Bolt8TransportOptions } from './profiles/bolt8-transport.js';
export { Bolt8Socket, bolt8Connect, bolt8Accept, type Bolt8SocketOptions } from './profiles/bolt8-socket.js';
export { createRelay, RelayServer, type RelayOptions, type RelayStats, type RelayDirection } from './net/relay-server.js';
export {
  relayConnect, relayListen, relayStream, connectVia, serveVia, RelayListener,
  type RelayAddress, type RelayConnectOptions, type RelayListenOptions, type ConnectViaOptions, type ServeViaOptions,
} from './net/relay-client.js';
export { RELAY_OP, RELAY_STATUS, RELAY_MAX_NAME_LENGTH, encodeRelayRequest, decodeRelayRequest, type RelayRequest } from './net/relay-protocol.js';
