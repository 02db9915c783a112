/**
 * `noisekit patterns [NAME]`: without NAME, every built-in pattern by family with a one-line
 * summary; with NAME (modifiers allowed, e.g. `XXpsk3`, `IKpsk2`), the pattern in spec notation
 * and its properties as derived from its tokens (patterns/describe.ts).
 */
import { Command } from 'commander';
import { builtinPatterns } from '../patterns/registry.js';
import { formatPattern } from '../patterns/types.js';
import { parseProtocolName } from '../protocol-name.js';
import { describePattern, summarizePattern, SOURCE_TEXT, DESTINATION_TEXT, IDENTITY_TEXT, type PartyProperties } from '../patterns/describe.js';
import { action } from './output.js';
import { NoiseError } from '../errors.js';
import { resolveSuite } from '../crypto/resolve.js';

const FAMILIES = ['one-way', 'fundamental', 'deferred'];

/** `noisekit patterns`. */
export function patternsCommand(): Command {
  return new Command('patterns')
    .description('list the handshake patterns, or show one (e.g. XX, IKpsk2) with its properties')
    .argument('[name]', 'pattern name with optional modifiers, or a full protocol name')
    .action(action((name?: string) => {
      process.stdout.on('error', quietOnClosedPipe);
      const reg = builtinPatterns();
      if (name === undefined) {
        const all = reg.list();
        const families = [...FAMILIES, ...new Set(all.map((e) => e.family).filter((f) => !FAMILIES.includes(f)))];
        for (const family of families) {
          const entries = all.filter((e) => e.family === family);
          if (!entries.length) continue;
          console.log(`${family} (${entries.length}):`);
          for (const e of entries) console.log(`  ${e.name.padEnd(5)} ${summarizePattern(describePattern(e.pattern))}`);
        }
        console.log(`${all.length} patterns; \`noisekit patterns NAME\` for details`);
        return;
      }
      // Accept `XXpsk3` or a full protocol name.
      if (!/^\S+$/.test(name)) throw new NoiseError('ERR_NOISE_UNKNOWN_PATTERN', `not a pattern name: ${JSON.stringify(name)}`);
      const full = name.startsWith('Noise');
      const p = parseProtocolName(full ? name : `Noise_${name}_25519_ChaChaPoly_BLAKE2s`);
      if (full) resolveSuite(p); // a full name's algorithms must exist too
      const pattern = reg.get(p.pattern, p.modifiers);
      const d = describePattern(pattern);
      process.stdout.write(formatPattern(pattern));
      console.log('');
      console.log(summarizePattern(d));
      for (const x of [d.initiator, d.responder]) console.log(party(x));
      console.log('payloads (spec 7.7 source / destination, from DH tokens):');
      for (const pl of d.payloads) {
        const label = pl.message === 'transport' ? `${pl.direction} (transport)` : `${pl.direction} ${pl.tokens.join(', ')}`;
        console.log(`  ${label.padEnd(24)} ${pl.source} ${pl.destination}  ${SOURCE_TEXT[pl.source]}; ${DESTINATION_TEXT[pl.destination]}`);
      }
      if (d.notes.length) console.log('notes:');
      for (const n of d.notes) console.log(`  - ${n}`);
    }));
}

function party(x: PartyProperties): string {
  const key = x.staticKey === 'none'
    ? 'no static key'
    : x.staticKey === 'known'
      ? 'static key known to the peer in advance'
      : `static key sent in message ${x.sentInMessage}${x.sentEncrypted ? ' (encrypted)' : ' (in clear)'}`;
  const auth = x.authenticated === 'none' ? 'not authenticated'
    : `authenticated in message ${x.authenticatedInMessage} (${x.authenticated === 'kci-resistant' ? 'es/se: resists key-compromise impersonation' : 'ss only: vulnerable to key-compromise impersonation'})`;
  const hiding = x.identityHiding === undefined ? '' : `; identity hiding ${x.identityHiding}: ${IDENTITY_TEXT[String(x.identityHiding)]}`;
  return `${x.role}: ${key}; ${auth}${hiding}`;
}

/** `noisekit ... | head` closes stdout early: stop quietly instead of crashing with EPIPE. */
function quietOnClosedPipe(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
}
