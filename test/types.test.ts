/**
 * The event types of the network classes, checked by the compiler (`npm run build` compiles the
 * tests): each `@ts-expect-error` line must be an error, or the build fails. A misspelled event
 * name or a wrongly typed listener argument no longer compiles as `any`.
 */
import { expect } from 'chai';
import { createServer, createPipesServer, createUdpServer, generateKeyPair, NoiseError, type ConnectionInfo, type NoiseSocket, type UdpSession } from '../src/index.js';

function typeChecks(): void {
  const server = createServer({ protocol: 'Noise_NN_25519_ChaChaPoly_BLAKE2s' });
  server.on('connectionError', (err, info) => {
    const code: string = err.code; // a NoiseError
    const where: ConnectionInfo = info;
    void code;
    void where;
  });
  server.on('secureConnection', (socket) => {
    const s: NoiseSocket = socket;
    // @ts-expect-error: the socket is not a string
    const wrong: string = socket;
    void s;
    void wrong;
  });
  // @ts-expect-error: misspelled event
  server.on('conectionError', () => undefined);
  // @ts-expect-error: 'connectionError' gives (err, info), not a number
  server.on('connectionError', (err: number) => void err);

  const pipes = createPipesServer({ staticKeyPair: generateKeyPair() });
  pipes.on('secureConnection', (socket) => void socket.pipes.mode);
  // @ts-expect-error: misspelled event
  pipes.on('secureConnect', () => undefined);

  const udp = createUdpServer({ staticKeyPair: generateKeyPair() });
  udp.on('session', (s) => {
    const session: UdpSession = s;
    void session;
  });
  udp.on('refused', (err, from) => void `${err.code} ${from.address}:${from.port}`);
  // @ts-expect-error: misspelled event
  udp.on('sesion', () => undefined);

}

describe('event types (compile-time)', () => {
  it('the checks above are compiled, not run: this file exists to fail the build when a type regresses', () => {
    expect(typeChecks).to.be.a('function');
    expect(new NoiseError('ERR_NOISE_SOCKET', 'x').code).to.equal('ERR_NOISE_SOCKET');
  });
});
