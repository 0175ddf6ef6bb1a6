/**
 * `@react-reverb/core/encrypted`: opens `private-encrypted-` payloads (docs/protocol.md §6.4) with NaCl
 * secretbox from tweetnacl. A separate entry so the main bundle never carries tweetnacl: pass
 * `encryption: () => import('@react-reverb/core/encrypted')` to the client and it is loaded on the first
 * encrypted channel (this module is itself a `Decryptor`).
 */
import nacl from 'tweetnacl';
import type { Decryptor } from '../client/types';
import { parseData } from '../protocol/codec';
import { ReverbError } from '../protocol/errors';

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function fail(message: string): never {
  throw new ReverbError('REVERB_ERR_DECRYPT', message);
}

/**
 * Decrypts `{nonce, ciphertext}` (an object, or the JSON string of one) with the channel's base64
 * shared secret, and parses the plaintext as the receivers' rule says (JSON when it is JSON).
 */
export function decrypt(sharedSecret: string, payload: unknown): unknown {
  const envelope = parseData(payload) as { nonce?: unknown; ciphertext?: unknown } | null;
  if (typeof envelope?.nonce !== 'string' || typeof envelope.ciphertext !== 'string') {
    fail('Encrypted payload needs string nonce and ciphertext');
  }
  const key = fromBase64(sharedSecret);
  if (key.length !== nacl.secretbox.keyLength) fail('The shared secret is not 32 bytes');
  const opened = nacl.secretbox.open(fromBase64(envelope.ciphertext), fromBase64(envelope.nonce), key);
  if (opened === null) fail('Cannot decrypt the payload with this shared secret');
  return parseData(new TextDecoder().decode(opened));
}

export const encryption: Decryptor = { decrypt };
