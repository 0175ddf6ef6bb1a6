import type { ErrorCodeValue } from './error-codes';

/** Base class of every error this project throws or returns; `code` is stable for programs. */
export class ReverbError extends Error {
  override name = 'ReverbError';
  // Declared, not a parameter property: the field would be emitted twice (declared, then assigned).
  declare readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * A frame or payload that breaks the protocol. `pusherCode` is what goes back on the wire in
 * `pusher:error` (4200 for frames we cannot decode, 4009 for refused authorization, …).
 */
export class ProtocolError extends ReverbError {
  override name = 'ProtocolError';
  constructor(
    code: string,
    message: string,
    readonly pusherCode: ErrorCodeValue,
    /** The channel the error is about, when there is one. */
    readonly channel?: string,
  ) {
    super(code, message);
  }
}
