/**
 * The NoiseError for an error of the underlying stream (a TCP socket): a reset (ECONNRESET,
 * EPIPE) is ERR_NOISE_TRUNCATED, like a close without the authenticated end of stream: data may
 * have been lost. Anything else is ERR_NOISE_SOCKET. The stream's error is the `cause`.
 */
import { NoiseError } from '../errors.js';

export function streamError(err: Error, afterEnd = false): NoiseError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new NoiseError('ERR_NOISE_TRUNCATED', `the connection was reset (${code})${afterEnd ? ' after the end of stream' : ''}`, { cause: err });
  }
  return new NoiseError('ERR_NOISE_SOCKET', `the underlying stream failed: ${err.message}`, { cause: err });
}
