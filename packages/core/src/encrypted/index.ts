/**
 * `@react-reverb/core/encrypted`: `private-encrypted-` channels (docs/protocol.md §6.4), opened with NaCl
 * secretbox from tweetnacl. A separate entry so the main bundle carries neither tweetnacl nor any of
 * this: pass `encryption: () => import('@react-reverb/core/encrypted')` to the client and it is loaded
 * when an encrypted channel subscribes (this module is itself an `Encryption`).
 */
import nacl from 'tweetnacl';
import { AuthError } from '../client/errors';
import type { ChannelAuthorization, EncryptedPayloadOpener, Encryption } from '../client/types';
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

/** An `Encryption` that opens payloads with `open` (which throws when a payload does not open). */
export function encryptionWith(open: (sharedSecret: string, payload: unknown) => unknown): Encryption {
  const secretOf = ({ shared_secret: secret }: ChannelAuthorization): string => {
    if (typeof secret !== 'string')
      throw new AuthError('Authorization of an encrypted channel without "shared_secret"');
    return secret;
  };
  return {
    encryptedChannel(authorization, reauthorize): EncryptedPayloadOpener {
      let secret = secretOf(authorization);
      return (payload, deliver) => {
        try {
          deliver(open(secret, payload));
        } catch {
          // The key may have been rotated: authorize once more for a fresh shared secret and try again,
          // then drop the event (pusher-js does the same). Listeners' own errors never get here.
          reauthorize()
            .then((fresh) => {
              secret = secretOf(fresh);
              deliver(open(secret, payload));
            })
            .catch(() => {});
        }
      };
    },
  };
}

/** The `Encryption` with tweetnacl's secretbox (`decrypt`). */
export const encryption: Encryption = /* @__PURE__ */ encryptionWith(decrypt);

/** The module itself is an `Encryption`: `encryption: () => import('@react-reverb/core/encrypted')`. */
export const encryptedChannel: Encryption['encryptedChannel'] = encryption.encryptedChannel;
