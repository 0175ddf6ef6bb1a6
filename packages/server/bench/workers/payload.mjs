// What the client processes read from a frame's `data`: a JSON string (channel events, most
// `pusher_internal:*`) or an object (`pusher:error`, `pusher:subscription_error`), per §2.

/**
 * `data` as an object: parsed when it is a JSON string, `{}` when it is nothing readable.
 * @param {unknown} data
 * @returns {Record<string, unknown>}
 */
export function payloadOf(data) {
  if (typeof data === 'string') {
    try {
      return JSON.parse(data);
    } catch {
      return {};
    }
  }
  return typeof data === 'object' && data !== null ? /** @type {Record<string, unknown>} */ (data) : {};
}
