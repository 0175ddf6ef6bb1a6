/**
 * Channel authorization and user authentication (docs/protocol.md §6.3): a custom async function, or a
 * form-encoded POST to the endpoint as pusher-js and Echo send it, with `X-CSRF-TOKEN` and `X-Socket-ID`.
 */
import { AuthError } from './errors';
import type { ChannelAuthorization, ReverbClientOptions, UserAuthentication } from './types';

type Resolvable = Record<string, string> | (() => Record<string, string>) | undefined;

function resolve(value: Resolvable): Record<string, string> {
  return typeof value === 'function' ? value() : (value ?? {});
}

/** POSTs `fields` and returns the JSON answer when it has the string `field` (and `auth`). */
async function postForm(
  options: ReverbClientOptions,
  endpoint: string,
  socketId: string,
  fields: Record<string, string>,
  field: 'auth' | 'user_data',
): Promise<Record<string, unknown>> {
  const init: RequestInit = {
    method: 'POST',
    headers: {
      Accept: 'application/json',
      'X-Socket-ID': socketId,
      ...(options.csrfToken === undefined ? {} : { 'X-CSRF-TOKEN': options.csrfToken }),
      ...resolve(options.auth?.headers),
    },
    // Form-encoded: fetch sends a URLSearchParams body as `application/x-www-form-urlencoded;charset=UTF-8`.
    // The protocol's own fields win over custom params of the same name.
    body: new URLSearchParams({ ...resolve(options.auth?.params), ...fields }),
  };
  let response: Response;
  try {
    // Looked up at call time: tests and polyfills may install `fetch` after this module loaded.
    response = await (options.fetch ?? fetch)(endpoint, init);
  } catch (error) {
    throw new AuthError(`Auth endpoint ${endpoint} failed: ${(error as Error).message}`);
  }
  const { ok, status } = response;
  const json = ok ? ((await response.json().catch(() => null)) as Record<string, unknown> | null) : null;
  if (typeof json?.auth !== 'string' || typeof json[field] !== 'string') {
    throw new AuthError(
      `Auth endpoint ${endpoint} answered ${status}${ok ? ` without a "${field}" string` : ''}`,
      status,
    );
  }
  return json;
}

export async function authorizeChannel(
  options: ReverbClientOptions,
  socketId: string,
  channelName: string,
): Promise<ChannelAuthorization> {
  return options.authorize
    ? options.authorize({ socketId, channelName })
    : ((await postForm(
        options,
        // Echo's default (Laravel's broadcasting routes).
        options.authEndpoint ?? '/broadcasting/auth',
        socketId,
        { socket_id: socketId, channel_name: channelName },
        'auth',
      )) as unknown as ChannelAuthorization);
}

export async function authenticateUser(
  options: ReverbClientOptions,
  socketId: string,
): Promise<UserAuthentication> {
  return options.authenticateUser
    ? options.authenticateUser(socketId)
    : ((await postForm(
        options,
        options.userAuthEndpoint ?? '/broadcasting/user-auth',
        socketId,
        { socket_id: socketId },
        'user_data',
      )) as unknown as UserAuthentication);
}
