import { createHash } from 'node:crypto';
import { ReverbError } from '../protocol/errors';

const MASTER_KEY_BYTES = 32;

/**
 * `shared_secret` for a `private-encrypted-*` channel: base64 SHA-256(utf8(channel) ‖ master key)
 * (docs/protocol.md §6.4). Runs on the app server; our WebSocket server never sees the master key.
 */
export function encryptedSharedSecret(channel: string, masterKeyBase64: string): string {
  const masterKey = Buffer.from(masterKeyBase64, 'base64');
  if (masterKey.length !== MASTER_KEY_BYTES) {
    throw new ReverbError(
      'invalid_master_key',
      `The encryption master key must be ${MASTER_KEY_BYTES} bytes encoded as base64 (got ${masterKey.length} bytes)`,
    );
  }
  return createHash('sha256').update(channel, 'utf8').update(masterKey).digest('base64');
}
