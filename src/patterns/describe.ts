/**
 * describePattern(): the properties of a handshake pattern, derived from its tokens alone (no
 * per-pattern tables), to help choose one. It walks the pattern as section 5.3 processes it and
 * records, for each party:
 *
 * - its static key: none, known in advance (pre-message), or sent in message N, encrypted or not;
 * - how the other party authenticates it: by `es`/`se` (resists key-compromise impersonation),
 *   by `ss` only (vulnerable to KCI), or not at all (section 7.7, source properties 1 and 2);
 * - identity hiding, with the property numbers of section 7.8;
 *
 * and for each handshake payload and the transport payloads after it the "source" and
 * "destination" property numbers of section 7.7. The rules are stated in comments below; the
 * tests compare them with every row of the spec's tables in sections 7.7 and 7.8.
 *
 * Parties are named by direction (section 7.2): Alice sends `->`, Bob sends `<-`. The initiator
 * is whoever sends the first message (Bob in `fallback` patterns).
 *
 * Levels ignore psk tokens (the spec's tables do too); a psk pattern gets a note saying from
 * which message payloads also depend on the pre-shared key.
 */
import type { Direction, HandshakePattern, Token } from './types.js';

/** How a party's static key reaches the other party. */
export type StaticKeyStatus = 'none' | 'known' | 'transmitted';

/** How the peer authenticates a party (section 7.7 source properties). */
export type Authentication = 'none' | 'kci-vulnerable' | 'kci-resistant';

/** One party's static key and identity. */
export interface PartyProperties {
  /** `initiator` or `responder`. */
  role: 'initiator' | 'responder';
  /** `alice` (sends `->`) or `bob` (sends `<-`). */
  side: 'alice' | 'bob';
  /** Whether the party has a static key and how the peer learns it. */
  staticKey: StaticKeyStatus;
  /** 1-based message that carries the static key, when transmitted. */
  sentInMessage?: number;
  /** True when the static key is sent encrypted (a cipher key was set before the `s` token). */
  sentEncrypted?: boolean;
  /** How strongly the peer authenticates this party by the end of the handshake. */
  authenticated: Authentication;
  /** 1-based message whose DH first authenticates this party, if any. */
  authenticatedInMessage?: number;
  /**
   * Identity hiding of this party's static key: a section 7.8 property number (0-9), `psk`
   * when it is sent encrypted only under the pre-shared key, or undefined without a static key.
   */
  identityHiding?: number | 'psk';
}

/** The section 7.7 properties of one payload. */
export interface PayloadProperties {
  /** 1-based handshake message, or `transport` for a transport payload after the handshake. */
  message: number | 'transport';
  direction: Direction;
  /** Tokens of the handshake message (empty for transport). */
  tokens: readonly Token[];
  /** Source property (0-2), section 7.7. */
  source: 0 | 1 | 2;
  /** Destination property (0-5), section 7.7, from DH tokens only. */
  destination: 0 | 1 | 2 | 3 | 4 | 5;
  /** True when the payload is encrypted under a secret (a DH or a pre-shared key processed before it). */
  encrypted: boolean;
}

/** Everything describePattern() derives. */
export interface PatternProperties {
  name: string;
  /** One-way pattern (section 7.4): a single message and no reply. */
  oneWay: boolean;
  /** Number of handshake messages. */
  messages: number;
  /** Round trips of the handshake (messages / 2, e.g. 1.5 for XX). */
  roundTrips: number;
  initiator: PartyProperties;
  responder: PartyProperties;
  /** The first handshake payload is encrypted ("zero-RTT" encryption, section 7.5). */
  zeroRtt: boolean;
  /** The second handshake payload is encrypted ("half-RTT", section 7.5). */
  halfRtt: boolean;
  /** Number of psk tokens (section 9). */
  psks: number;
  /** 1-based message of the first psk token, if any. */
  firstPskMessage?: number;
  /** Handshake payloads, then (interactive patterns) the transport payloads of each party. */
  payloads: PayloadProperties[];
  /** Plain-language notes in the spirit of sections 7.5, 7.7 and 7.8. */
  notes: string[];
}

/** Short texts for the section 7.7 source properties. */
export const SOURCE_TEXT: readonly string[] = [
  'no authentication',
  'sender authenticated, vulnerable to key-compromise impersonation',
  'sender authenticated, resistant to key-compromise impersonation',
];

/** Short texts for the section 7.7 destination properties. */
export const DESTINATION_TEXT: readonly string[] = [
  'no confidentiality (cleartext)',
  'encrypted to an ephemeral recipient (forward secrecy, recipient not authenticated)',
  'encrypted to a known recipient, forward secrecy for sender compromise only, replayable',
  'encrypted to a known recipient, weak forward secrecy',
  'encrypted to a known recipient, weak forward secrecy if the sender\'s private key was compromised',
  'encrypted to a known recipient, strong forward secrecy',
];

/** Short texts for the section 7.8 identity-hiding properties. */
export const IDENTITY_TEXT: Readonly<Record<string, string>> = {
  0: 'transmitted in clear',
  1: 'encrypted with forward secrecy, but can be probed by an anonymous initiator',
  2: 'encrypted with forward secrecy, but sent to an anonymous responder',
  3: 'not transmitted; a passive attacker can check candidates for the responder\'s private key',
  4: 'encrypted to the responder\'s static key, without forward secrecy',
  5: 'not transmitted; a passive attacker can check candidate (responder private key, initiator public key) pairs',
  6: 'encrypted, but with weak forward secrecy',
  7: 'not transmitted; an active attacker posing as the initiator can later check candidates for the initiator\'s private key',
  8: 'encrypted with forward secrecy to an authenticated party',
  9: 'an active attacker posing as the initiator can check candidates for the responder\'s public key',
  psk: 'encrypted only with the pre-shared key',
};

type Side = 'alice' | 'bob';
const other = (s: Side): Side => (s === 'alice' ? 'bob' : 'alice');
const sender = (d: Direction): Side => (d === '->' ? 'alice' : 'bob');

/** The DH token that combines `side`'s static key with the other side's ephemeral (es/se, §7.7 source 2). */
const staticWithPeerEphemeral = (side: Side): Token => (side === 'alice' ? 'se' : 'es');
/** True when the DH token involves `side`'s static key. */
const involvesStatic = (t: Token, side: Side): boolean =>
  t === 'ss' || (side === 'alice' ? t === 'se' : t === 'es');

/** Derives the properties of a (validated) handshake pattern from its tokens. */
export function describePattern(pattern: HandshakePattern): PatternProperties {
  const msgs = pattern.messages;
  const initiatorSide = sender(msgs[0]!.direction);

  const known: Record<Side, boolean> = { alice: false, bob: false };
  for (const m of pattern.preMessages) {
    for (const t of m.tokens) {
      if (t === 's') known[sender(m.direction)] = true;
    }
  }

  // Running state of the walk.
  const done = new Set<Token>(); // DH tokens processed so far
  // True once a secret went into the cipher key: a DH or a psk. (In psk mode an `e` token also
  // calls MixKey (§9.2), but with a public value: that alone hides nothing.)
  let hasKey = false;
  let keyFromDh = false;
  let firstPskMessage: number | undefined;
  const received: Record<Side, 0 | 1 | 2> = { alice: 0, bob: 0 }; // best source level `side` has received
  const sent: Record<Side, { message?: number; encrypted?: boolean; hiding?: number | 'psk' }> = { alice: {}, bob: {} };
  const auth: Record<Side, { level: Authentication; message?: number }> = { alice: { level: 'none' }, bob: { level: 'none' } };
  const firstStaticUse: Record<Side, { message: number; from: Side; token: Token } | undefined> = { alice: undefined, bob: undefined };
  const payloads: PayloadProperties[] = [];

  // §7.7 source: es/se with the sender's static key -> 2; ss only -> 1; else 0.
  const source = (from: Side): 0 | 1 | 2 => (done.has(staticWithPeerEphemeral(from)) ? 2 : done.has('ss') ? 1 : 0);
  // §7.7 destination, from DH tokens: no ee -> 2 if a DH used the recipient's static key, else 0;
  // ee without a DH of the recipient's static with the sender's ephemeral -> 1; with it, 3/4/5
  // depending on whether the sender has received a payload authenticated by the recipient with
  // source 0 / 1 / 2 (how well it has verified the recipient's ephemeral).
  const destination = (from: Side): 0 | 1 | 2 | 3 | 4 | 5 => {
    const to = other(from);
    if (!done.has('ee')) {
      return [...done].some((t) => involvesStatic(t, to)) ? 2 : 0;
    }
    if (!done.has(staticWithPeerEphemeral(to))) return 1;
    return ([3, 4, 5] as const)[received[from]];
  };

  msgs.forEach((m, i) => {
    const n = i + 1;
    const from = sender(m.direction);
    const to = other(from);
    for (const t of m.tokens) {
      if (t === 'e') {
        // public value only; see hasKey
      } else if (t === 'psk') {
        hasKey = true;
        firstPskMessage ??= n;
      } else if (t === 's') {
        sent[from] = { message: n, encrypted: hasKey, hiding: identityOfSent(from) };
      } else {
        done.add(t);
        hasKey = true;
        keyFromDh = true;
        for (const side of ['alice', 'bob'] as const) {
          if (involvesStatic(t, side) && !firstStaticUse[side]) firstStaticUse[side] = { message: n, from, token: t };
        }
        // Who is authenticated by this DH (to the other party).
        for (const side of ['alice', 'bob'] as const) {
          if (t === staticWithPeerEphemeral(side) && auth[side].level !== 'kci-resistant') auth[side] = { level: 'kci-resistant', message: n };
          if (t === 'ss' && auth[side].level === 'none') auth[side] = { level: 'kci-vulnerable', message: n };
        }
      }
    }
    const p: PayloadProperties = { message: n, direction: m.direction, tokens: m.tokens, source: source(from), destination: destination(from), encrypted: hasKey };
    payloads.push(p);
    received[to] = Math.max(received[to], p.source) as 0 | 1 | 2;
  });

  // §7.8 for a static key sent in a message, from what was processed before its `s` token.
  function identityOfSent(from: Side): number | 'psk' {
    if (!hasKey) return 0;
    if (!keyFromDh) return 'psk';
    const to = other(from);
    if (done.has('ee')) {
      if (from === 'alice') return done.has(staticWithPeerEphemeral(to)) ? 8 : 2; // sent to an authenticated / anonymous responder
      return done.has(staticWithPeerEphemeral(to)) ? 6 : 1; // depends on the initiator's static (weak FS) / probeable
    }
    return 4; // encrypted to the recipient's static key only
  }

  // §7.8 for a static key known in advance, from the first DH that uses it.
  function identityOfKnown(side: Side): number | undefined {
    const use = firstStaticUse[side];
    if (!use) return undefined;
    if (side === 'bob') {
      if (use.from === 'bob') return 9; // deferred: only a responder message uses it
      const withKnownAlice = known.alice && msgs[use.message - 1]!.tokens.includes('ss');
      return withKnownAlice ? 5 : 3;
    }
    return use.token === 'ss' && use.from === 'alice' ? 5 : 7;
  }

  // Transport payloads (interactive patterns): first from the party that did not send the last
  // handshake message, then from the other one after it received that first transport message.
  if (msgs.length > 1) {
    let next = other(sender(msgs[msgs.length - 1]!.direction));
    for (let k = 0; k < 2; k++) {
      const p: PayloadProperties = { message: 'transport', direction: next === 'alice' ? '->' : '<-', tokens: [], source: source(next), destination: destination(next), encrypted: true };
      payloads.push(p);
      received[other(next)] = Math.max(received[other(next)], p.source) as 0 | 1 | 2;
      next = other(next);
    }
  }

  const party = (side: Side): PartyProperties => {
    const status: StaticKeyStatus = known[side] ? 'known' : sent[side].message !== undefined ? 'transmitted' : 'none';
    const hasStatic = status !== 'none';
    const out: PartyProperties = {
      role: side === initiatorSide ? 'initiator' : 'responder',
      side,
      staticKey: status,
      authenticated: hasStatic ? auth[side].level : 'none',
    };
    if (hasStatic && auth[side].message !== undefined) out.authenticatedInMessage = auth[side].message;
    if (status === 'transmitted') {
      out.sentInMessage = sent[side].message;
      out.sentEncrypted = sent[side].encrypted;
      out.identityHiding = sent[side].hiding;
    } else if (status === 'known') {
      out.identityHiding = identityOfKnown(side);
    }
    return out;
  };

  const initiator = party(initiatorSide);
  const responder = party(other(initiatorSide));
  const props: PatternProperties = {
    name: pattern.name,
    oneWay: msgs.length === 1,
    messages: msgs.length,
    roundTrips: msgs.length / 2,
    initiator,
    responder,
    zeroRtt: payloads[0]!.encrypted,
    halfRtt: msgs.length > 1 && payloads[1]!.encrypted,
    psks: msgs.reduce((k, m) => k + m.tokens.filter((t) => t === 'psk').length, 0),
    payloads,
    notes: [],
  };
  if (firstPskMessage !== undefined) props.firstPskMessage = firstPskMessage;
  props.notes = notesFor(props);
  return props;
}

function notesFor(p: PatternProperties): string[] {
  const notes: string[] = [];
  const name = (x: PartyProperties) => x.role;
  for (const x of [p.initiator, p.responder]) {
    const peer = x === p.initiator ? p.responder : p.initiator;
    if (x.staticKey === 'none') {
      notes.push(`The ${name(x)} has no static key: the ${name(peer)} cannot know who is on the other end${p.psks ? ' (beyond knowing the pre-shared key)' : ''}.`);
    } else if (x.authenticated === 'none') {
      notes.push(`The ${name(x)}'s static key is never used in a DH: it is not authenticated.`);
    } else if (x.authenticated === 'kci-vulnerable') {
      notes.push(`The ${name(x)} is authenticated by "ss" only: if the ${name(peer)}'s private key leaks, the ${name(x)} can be impersonated to it (KCI, §7.7).`);
    }
    if (x.staticKey === 'transmitted' && x.sentEncrypted === false) {
      notes.push(`The ${name(x)}'s static key is sent in clear in message ${x.sentInMessage}: no identity hiding (§7.8).`);
    }
    if (x.staticKey === 'known') {
      notes.push(`The ${name(peer)} must know the ${name(x)}'s static public key in advance (pre-message).`);
    }
  }
  const first = p.payloads[0]!;
  if (p.zeroRtt && p.messages > 1) {
    if (first.destination === 2) {
      notes.push('Zero-RTT: the first payload is encrypted to the responder\'s static key, but without forward secrecy if that key leaks, and it can be replayed (§7.7, destination 2).');
    } else if (first.destination === 0) {
      notes.push('Zero-RTT: the first payload is encrypted with the pre-shared key only; it has no forward secrecy and can be replayed.');
    } else {
      notes.push('The first payload is encrypted: the pattern continues from keys exchanged before (pre-messages).');
    }
  }
  // Weak forward secrecy until the first transport message (§7.5, patterns starting with K or I).
  const transport = p.payloads.filter((x) => x.message === 'transport');
  const lastHs = (dir: Direction) => [...p.payloads].reverse().find((x) => x.message !== 'transport' && x.direction === dir);
  if (transport.length === 2) {
    const second = transport[1]!;
    const before = lastHs(second.direction);
    if (before && before.destination < 5 && before.destination >= 3 && second.destination === 5) {
      const role = second.direction === (p.initiator.side === 'alice' ? '->' : '<-') ? 'initiator' : 'responder';
      notes.push(`The ${role} has only weak forward secrecy for what it sends until it receives a transport message from its peer (§7.5).`);
    }
  }
  if (p.psks) notes.push(`Payloads from message ${p.firstPskMessage} on also depend on the pre-shared key; the levels shown ignore it.`);
  if (p.oneWay) notes.push('One-way pattern (§7.4): the recipient never replies; no forward secrecy against the recipient\'s static key.');
  return notes;
}

/** A one-line summary, e.g. `3 msgs (1.5 RTT); initiator s: sent enc msg 3; responder s: sent enc msg 2; auth: mutual`. */
export function summarizePattern(p: PatternProperties): string {
  const key = (x: PartyProperties): string => {
    if (x.staticKey === 'none') return 'none';
    if (x.staticKey === 'known') return 'known';
    return `${x.sentEncrypted ? 'encrypted' : 'clear'} in msg ${x.sentInMessage}`;
  };
  const i = p.initiator.authenticated !== 'none';
  const r = p.responder.authenticated !== 'none';
  const auth = i && r ? 'mutual' : r ? 'responder only' : i ? 'initiator only' : 'none';
  const rtt = p.oneWay ? 'one-way' : `${p.roundTrips} RTT`;
  return `${p.messages} msg${p.messages > 1 ? 's' : ''} (${rtt}); auth: ${auth}; initiator s: ${key(p.initiator)}; responder s: ${key(p.responder)}${p.zeroRtt ? '; 0-RTT' : ''}`;
}
