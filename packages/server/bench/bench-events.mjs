// Names the bench itself chooses (not protocol names: those come from @react-reverb/core/protocol).

/** Event name of HTTP-triggered bench events; payload `{t, s}` (send time µs, sequence). */
export const BENCH_EVENT = 'bench-event';
/** Client event (whisper) sent by bench senders. */
export const WHISPER_EVENT = 'client-bench';
/** Client event sent back by an echoing connection, for round trips. */
export const WHISPER_REPLY_EVENT = 'client-bench-reply';

/**
 * Microseconds on the system-wide monotonic clock (CLOCK_MONOTONIC on Linux), so a timestamp taken
 * in one process can be compared with the clock of another on the same machine.
 */
export function nowUs() {
  return Number(process.hrtime.bigint() / 1000n);
}
