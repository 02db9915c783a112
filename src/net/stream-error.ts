/**
 * Errors of the network layer as NoiseErrors: an application listener's exception or a stream's
 * error, the error of the underlying stream (a reset means data may have been lost), and a
 * verifyRemote refusal.
 */
import { NoiseError } from '../errors.js';

/**
 * `err` as a NoiseError: itself when it is one, else ERR_NOISE_SOCKET with it as the cause (an
 * application listener's exception, a stream's error). `context` prefixes the message.
 */
export function asNoiseError(err: unknown, context = ''): NoiseError {
  if (err instanceof NoiseError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new NoiseError('ERR_NOISE_SOCKET', `${context}${message}`, { cause: err });
}

/**
 * The NoiseError for an error of the underlying stream (a TCP socket): a reset (ECONNRESET,
 * EPIPE) is ERR_NOISE_TRUNCATED, like a close without the authenticated end of stream: data may
 * have been lost. Anything else is ERR_NOISE_SOCKET. The stream's error is the `cause`.
 */
export function streamError(err: Error, afterEnd = false): NoiseError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new NoiseError('ERR_NOISE_TRUNCATED', `the connection was reset (${code})${afterEnd ? ' after the end of stream' : ''}`, { cause: err });
  }
  return new NoiseError('ERR_NOISE_SOCKET', `the underlying stream failed: ${err.message}`, { cause: err });
}

/**
 * A verifyRemote refusal, the same on TCP, Pipes and UDP: the NoiseError it threw (e.g.
 * ERR_NOISE_REMOTE_KEY_CHANGED from tofu, ERR_NOISE_TRUST_STORE from authorizedKeys), else
 * ERR_NOISE_REMOTE_REJECTED (with what it threw as the cause; `undefined`: it returned false).
 */
export function verifyRejection(err: unknown): NoiseError {
  if (err instanceof NoiseError) return err;
  if (err === undefined) return new NoiseError('ERR_NOISE_REMOTE_REJECTED');
  return new NoiseError('ERR_NOISE_REMOTE_REJECTED', `verifyRemote failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
