import { timingSafeEqualHex } from './hmac';

/**
 * Checks an `auth` value of the form `{key}:{hex}` (docs/protocol.md §6.1) against the expected digest.
 * Splits at the FIRST ':' only, so a key can never smuggle part of the signature.
 */
export function authMatches(auth: string, key: string, expectedHex: string): boolean {
  const colon = auth.indexOf(':');
  if (colon < 0) return false;
  const givenKey = auth.slice(0, colon);
  const givenHex = auth.slice(colon + 1);
  // Both comparisons always run, so a wrong key and a wrong signature take the same time.
  const keyOk = timingSafeEqualHex(givenKey, key);
  const signatureOk = timingSafeEqualHex(givenHex, expectedHex);
  return keyOk && signatureOk;
}
