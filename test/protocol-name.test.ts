/**
 * Protocol names (spec section 8).
 */
import { expect } from 'chai';
import { parseProtocolName, formatProtocolName, NoiseError } from '../src/index.js';

describe('protocol names (8)', () => {
  it('parses pattern, modifiers and algorithms', () => {
    expect(parseProtocolName('Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s')).to.deep.include({ pattern: 'XX', modifiers: ['psk3'], dh: '25519', cipher: 'ChaChaPoly', hash: 'BLAKE2s' });
    expect(parseProtocolName('Noise_IKpsk1+psk2_448_AESGCM_SHA512')).to.deep.include({ pattern: 'IK', modifiers: ['psk1', 'psk2'], dh: '448', cipher: 'AESGCM', hash: 'SHA512' });
    expect(parseProtocolName('Noise_XXfallback+psk0_25519_AESGCM_SHA256').modifiers).to.deep.equal(['fallback', 'psk0']);
    expect(parseProtocolName('Noise_X1K1_25519_AESGCM_SHA256').pattern).to.equal('X1K1');
    expect(parseProtocolName('NoisePSK_XXfallback_25519_ChaChaPoly_SHA256').prefix).to.equal('NoisePSK');
  });
  it('formats back to the same name', () => {
    for (const n of ['Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s', 'Noise_IKpsk1+psk2_448_AESGCM_SHA512', 'Noise_N_25519_ChaChaPoly_SHA256']) {
      expect(formatProtocolName(parseProtocolName(n))).to.equal(n);
    }
  });
  it('rejects malformed names with ERR_NOISE_INVALID_PROTOCOL_NAME', () => {
    for (const bad of ['Noise_XX_25519_ChaChaPoly', 'Noize_XX_25519_ChaChaPoly_SHA256', 'Noise_xx_25519_ChaChaPoly_SHA256', 'Noise_XX_25 519_ChaChaPoly_SHA256',
      'Noise_XXPSK3_25519_ChaChaPoly_SHA256x_', 'Noise_XX+psk0_25519_ChaChaPoly_SHA256', `Noise_XX_25519_ChaChaPoly_${'A'.repeat(250)}`]) {
      expect(() => parseProtocolName(bad), bad).to.throw(NoiseError).with.property('code', 'ERR_NOISE_INVALID_PROTOCOL_NAME');
    }
  });
});
