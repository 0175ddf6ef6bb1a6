import { ReverbError } from '@react-reverb/core/protocol';

/**
 * A setting that cannot be used. `setting` names it exactly as the user wrote it (an env name such as
 * `REVERB_SERVER_PORT` or a config-file path such as `apps[0].key`), so the CLI can print one clear line.
 */
export class ConfigError extends ReverbError {
  override name = 'ConfigError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super('REVERB_ERR_CONFIG', `Invalid configuration: ${setting} ${problem}`);
  }
}

/**
 * An HTTP API failure: a 4xx status (or 503: the shared state the request needs is unreachable) and
 * the message that goes in `{"error": "..."}`.
 */
export class HttpError extends ReverbError {
  override name = 'HttpError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 429 | 503,
    message: string,
  ) {
    super('REVERB_ERR_HTTP', message);
  }
}
