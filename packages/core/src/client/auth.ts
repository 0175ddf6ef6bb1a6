/**
 * Channel authorization and user authentication (docs/protocol.md §6.3): a custom async function (ours,
 * or pusher-js's callback-style `customHandler`), or a form-encoded POST to the endpoint as pusher-js
 * and Echo send it, with `X-Socket-ID`, and Echo's `X-CSRF-TOKEN` and bearer token. Where our names and
 * Echo's overlap, the rule of `ReverbClientOptions` decides.
 */
import { AuthError } from './errors';
import type {
  ChannelAuthorization,
  EchoAuthHandler,
  EchoAuthOptions,
  ReverbClientOptions,
  UserAuthentication,
} from './types';

type Resolvable = Record<string, string> | (() => Record<string, string>) | undefined;

function resolve(value: Resolvable): Record<string, string> {
  return typeof value === 'function' ? value() : (value ?? {});
}

/** A pusher-js `customHandler` (when there is one) called with `params`, as a promise. */
function handled<Params, Data>(
  handler: EchoAuthHandler<Params, Data> | undefined,
  params: Params,
): Promise<Data> | undefined {
  return (
    handler &&
    new Promise((resolve, reject) =>
      handler(params, (error, data) => (error ? reject(error) : resolve(data as Data))),
    )
  );
}

/**
 * POSTs `fields` and returns the JSON answer when it has the string `field` (and `auth`). `route` is
 * `channelAuthorization` or `userAuthentication`: its headers and params win over the shared ones.
 */
async function postForm(
  options: ReverbClientOptions,
  route: Pick<EchoAuthOptions<never, never>, 'headers' | 'params'>,
  endpoint: string,
  socketId: string,
  fields: Record<string, string>,
  field: 'auth' | 'user_data',
): Promise<Record<string, unknown>> {
  const { csrfToken, bearerToken } = options;
  const init: RequestInit = {
    method: 'POST',
    headers: {
      Accept: 'application/json',
      'X-Socket-ID': socketId,
      ...(csrfToken && { 'X-CSRF-TOKEN': csrfToken }),
      ...(bearerToken && { Authorization: `Bearer ${bearerToken}` }),
      ...resolve(options.auth?.headers),
      ...route.headers,
    },
    // Form-encoded: fetch sends a URLSearchParams body as `application/x-www-form-urlencoded;charset=UTF-8`.
    // The protocol's own fields win over custom params of the same name.
    body: new URLSearchParams({ ...resolve(options.auth?.params), ...route.params, ...fields }),
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
  const route = options.channelAuthorization ?? {};
  const params = { socketId, channelName };
  return (
    options.authorize?.(params) ??
    handled(route.customHandler, params) ??
    ((await postForm(
      options,
      route,
      // Echo's default (Laravel's broadcasting routes).
      route.endpoint ?? options.authEndpoint ?? '/broadcasting/auth',
      socketId,
      { socket_id: socketId, channel_name: channelName },
      'auth',
    )) as unknown as ChannelAuthorization)
  );
}

export async function authenticateUser(
  options: ReverbClientOptions,
  socketId: string,
): Promise<UserAuthentication> {
  const route = options.userAuthentication ?? {};
  return (
    options.authenticateUser?.(socketId) ??
    handled(route.customHandler, { socketId }) ??
    ((await postForm(
      options,
      route,
      options.userAuthEndpoint ?? route.endpoint ?? '/broadcasting/user-auth',
      socketId,
      { socket_id: socketId },
      'user_data',
    )) as unknown as UserAuthentication)
  );
}
