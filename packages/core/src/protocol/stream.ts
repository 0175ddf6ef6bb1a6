/**
 * §11.1 recovery, on the wire: stream positions on events, `recover` / `rewind` on `pusher:subscribe`,
 * `stream` / `recovery` on `subscription_succeeded`. The types are in messages.ts; this file holds the
 * names and the few functions that read and write them.
 *
 * Every export is a standalone constant or function, so a client bundle keeps only what it uses: a
 * client needs `readStreamPosition` (for events and for `stream`) and perhaps the reason names; the
 * frame encoder and the subscribe decoder are the server's. Its limits (`MAX_EPOCH_LENGTH`, …) are in
 * limits.ts with the others.
 */
import { isValidSocketId } from './channel-names';
import { MAX_EPOCH_LENGTH, MAX_RECOVER_SOCKET_IDS, MAX_SOCKET_ID_LENGTH } from './limits';
import type {
  HistoryRequest,
  RecoverRequest,
  RecoveryReason,
  StreamPosition,
  StreamRecovery,
} from './messages';

// ───────────── reasons of `recovery.reason` ─────────────

/** The stream was reset since the position (restart, Redis data loss, history expired entirely). */
export const RECOVERY_EPOCH_CHANGED = 'epoch_changed';
/** Events after the position were older than the ttl and were dropped. */
export const RECOVERY_EXPIRED = 'expired';
/** Events after the position were dropped by the node's memory budget. */
export const RECOVERY_EVICTED = 'evicted';
/** More events were published since the position than the history keeps. */
export const RECOVERY_TOO_FAR_BEHIND = 'too_far_behind';
/** The history could not be read (Redis unreachable). */
export const RECOVERY_UNAVAILABLE = 'unavailable';
/** Malformed `recover`, or an offset beyond the stream's top in the same epoch. */
export const RECOVERY_INVALID_POSITION = 'invalid_position';
/** `rewind` is not a positive integer. */
export const RECOVERY_INVALID_REWIND = 'invalid_rewind';
/** `rewind` asked for more than the channel's `max_events`. */
export const RECOVERY_REWIND_LIMIT = 'rewind_limit';
/** The channel keeps no history (the answer then has no `stream` either). */
export const RECOVERY_NOT_KEPT = 'not_kept';

/** Every reason, for whoever checks a value against the list (the type is `RecoveryReason`). */
export const RECOVERY_REASONS: readonly RecoveryReason[] = [
  RECOVERY_EPOCH_CHANGED,
  RECOVERY_EXPIRED,
  RECOVERY_EVICTED,
  RECOVERY_TOO_FAR_BEHIND,
  RECOVERY_UNAVAILABLE,
  RECOVERY_INVALID_POSITION,
  RECOVERY_INVALID_REWIND,
  RECOVERY_REWIND_LIMIT,
  RECOVERY_NOT_KEPT,
];

/**
 * The position in an object that may carry one: a parsed event envelope (`offset`, `epoch` at its top
 * level), the `stream` of `subscription_succeeded`, or `recover`. Undefined unless `epoch` is a string
 * of 1 to 32 characters and `offset` a non-negative safe integer.
 */
export function readStreamPosition(value: unknown): StreamPosition | undefined {
  // `Object()`: any JSON value destructures (a primitive's fields are undefined, so it is refused below).
  const { epoch, offset } = Object(value) as Record<string, unknown>;
  return typeof epoch === 'string' &&
    epoch !== '' &&
    epoch.length <= MAX_EPOCH_LENGTH &&
    Number.isSafeInteger(offset) &&
    (offset as number) >= 0
    ? { epoch, offset: offset as number }
    : undefined;
}

/**
 * Adds a position to an encoded channel event (what `encodeChannelEvent` returns):
 * `{"event":…,"channel":…,"data":…}` becomes `{"event":…,"channel":…,"data":…,"offset":N,"epoch":"E"}`.
 * A string operation, not a re-encode: the broadcast path frames each event once.
 */
export function positionFrame(frame: string, position: StreamPosition): string {
  if (frame.charCodeAt(frame.length - 1) !== 0x7d) throw new TypeError('positionFrame needs a JSON object');
  return `${frame.slice(0, -1)},"offset":${position.offset},"epoch":${JSON.stringify(position.epoch)}}`;
}

function readRecover(value: unknown): RecoverRequest | undefined {
  const position = readStreamPosition(value);
  if (!position) return undefined;
  const ids = (value as Record<string, unknown>).socket_ids;
  if (ids === undefined || ids === null) return { ...position, socketIds: [] };
  if (!Array.isArray(ids) || ids.length > MAX_RECOVER_SOCKET_IDS) return undefined;
  for (const id of ids) {
    if (typeof id !== 'string' || id.length > MAX_SOCKET_ID_LENGTH || !isValidSocketId(id)) return undefined;
  }
  return { ...position, socketIds: ids as string[] };
}

/**
 * Reads `recover` and `rewind` from `pusher:subscribe` data (absent or null = not asked). `recover`
 * wins when both are sent (`rewind` is for a first subscribe). Never refuses: a malformed value comes
 * out as `invalid`, and the subscription goes on with the answer naming it.
 */
export function readHistoryRequest(data: Record<string, unknown>): HistoryRequest | undefined {
  const { recover, rewind } = data;
  if (recover !== undefined && recover !== null) {
    const request = readRecover(recover);
    return request ? { recover: request } : { invalid: RECOVERY_INVALID_POSITION };
  }
  if (rewind === undefined || rewind === null) return undefined;
  return typeof rewind === 'number' && Number.isInteger(rewind) && rewind >= 1
    ? { rewind }
    : { invalid: RECOVERY_INVALID_REWIND };
}

/**
 * The §11.1 fields of `subscription_succeeded` data, in wire order (`stream` then `recovery`; inside,
 * `epoch`, `offset` and `recovered`, `replayed`, `reason`), to spread next to `presence`.
 */
export function streamAnswer(
  stream: StreamPosition | undefined,
  recovery: StreamRecovery | undefined,
): { stream?: StreamPosition; recovery?: StreamRecovery } {
  const answer: { stream?: StreamPosition; recovery?: StreamRecovery } = {};
  if (stream) answer.stream = { epoch: stream.epoch, offset: stream.offset };
  if (recovery) {
    const { recovered, replayed, reason } = recovery;
    answer.recovery = reason === undefined ? { recovered, replayed } : { recovered, replayed, reason };
  }
  return answer;
}
