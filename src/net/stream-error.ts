/**
 * Errors of the network layer as NoiseErrors: an application listener's exception or a stream's
 * error, and the error of the underlying stream (a reset means data may have been lost).
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
