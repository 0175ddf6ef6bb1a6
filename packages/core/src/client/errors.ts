import { ReverbError } from '../protocol/errors';

/** A whisper that cannot be sent: wrong channel type (public, encrypted) or a bad event name. */
export class ClientEventError extends ReverbError {
  override name = 'ClientEventError';
}

/** The auth endpoint (or custom `authorize`/`authenticateUser`) refused or answered nonsense. */
export class AuthError extends ReverbError {
  override name = 'AuthError';
  /** HTTP status of the auth endpoint, when there was a response. */
  declare readonly status: number | null;
  constructor(message: string, status: number | null = null) {
    super('REVERB_ERR_AUTH', message);
    this.status = status;
  }
}
