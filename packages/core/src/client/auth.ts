/**
 * Channel authorization and user authentication (protocol.md §6.3): a custom async function, or a
 * form-encoded POST to the endpoint as pusher-js and Echo send it, with `X-CSRF-TOKEN` and `X-Socket-ID`.
 */
import { AuthError } from './errors';
import type { ChannelAuthorization, ReverbClientOptions, UserAuthentication } from './types';

/** Echo's defaults (Laravel's broadcasting routes). */
export const DEFAULT_AUTH_ENDPOINT = '/broadcasting/auth';
export const DEFAULT_USER_AUTH_ENDPOINT = '/broadcasting/user-auth';

type Resolvable = Record<string, string> | (() => Record<string, string>) | undefined;

function resolve(value: Resolvable): Record<string, string> {
  return typeof value === 'function' ? value() : (value ?? {});
}

async function postForm(
  options: ReverbClientOptions,
  endpoint: string,
  socketId: string,
  fields: Record<string, string>,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
    'X-Socket-ID': socketId,
    ...(options.csrfToken === undefined ? {} : { 'X-CSRF-TOKEN': options.csrfToken }),
    ...resolve(options.auth?.headers),
  };
  // The protocol's own fields win over custom params of the same name.
  const body = new URLSearchParams({ ...resolve(options.auth?.params), ...fields }).toString();
  const init: RequestInit = { method: 'POST', headers, body };
  let response: Response;
  try {
    response = await (options.fetch ? options.fetch(endpoint, init) : fetch(endpoint, init));
  } catch (error) {
    throw new AuthError(`Auth request to ${endpoint} failed: ${(error as Error).message}`);
  }
  if (!response.ok)
    throw new AuthError(`Auth endpoint ${endpoint} answered ${response.status}`, response.status);
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new AuthError(`Auth endpoint ${endpoint} did not answer JSON`, response.status);
  }
  if (typeof json !== 'object' || json === null || typeof (json as { auth?: unknown }).auth !== 'string') {
    throw new AuthError(`Auth endpoint ${endpoint} answered without an "auth" string`, response.status);
  }
  return json as Record<string, unknown>;
}

export async function authorizeChannel(
  options: ReverbClientOptions,
  socketId: string,
  channelName: string,
): Promise<ChannelAuthorization> {
  if (options.authorize) return options.authorize({ socketId, channelName });
  const endpoint = options.authEndpoint ?? DEFAULT_AUTH_ENDPOINT;
  return (await postForm(options, endpoint, socketId, {
    socket_id: socketId,
    channel_name: channelName,
  })) as unknown as ChannelAuthorization;
}

export async function authenticateUser(
  options: ReverbClientOptions,
  socketId: string,
): Promise<UserAuthentication> {
  if (options.authenticateUser) return options.authenticateUser(socketId);
  const endpoint = options.userAuthEndpoint ?? DEFAULT_USER_AUTH_ENDPOINT;
  const json = await postForm(options, endpoint, socketId, { socket_id: socketId });
  if (typeof json.user_data !== 'string') {
    throw new AuthError(`User auth endpoint ${endpoint} answered without a "user_data" string`);
  }
  return json as unknown as UserAuthentication;
}
