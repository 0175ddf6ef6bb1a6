/**
 * `configureEcho`'s options: laravel-echo's object as `resources/js/echo.js` writes it, with echo-react's
 * defaults from Vite's `VITE_REVERB_*` / `VITE_PUSHER_*` variables, read into our client's options.
 *
 * Interim: issue 20 item 3 teaches `createReverbClient` itself to take Echo's names. Once it does, this
 * module keeps only the defaults and the broadcaster check and hands the rest to the core unchanged.
 */
import type { ReverbClient, ReverbClientOptions } from '@react-reverb/core';

type HeaderMap = Readonly<Record<string, string>>;
type HeadersOption = HeaderMap | (() => HeaderMap);

/** laravel-echo 2.x's options for the Pusher-protocol broadcasters, plus every option of ours. */
export interface EchoOptions
  extends Omit<
    Partial<ReverbClientOptions>,
    | 'key'
    | 'host'
    | 'csrfToken'
    | 'auth'
    | 'forceTLS'
    | 'wsHost'
    | 'wsPort'
    | 'wssPort'
    | 'cluster'
    | 'userAuthentication'
    | 'bearerToken'
    | 'broadcaster'
  > {
  readonly broadcaster: 'reverb' | 'pusher' | 'ably' | (string & {});
  readonly key?: string | null | undefined;
  /** Ours; Echo's `host` is socket.io's. Wins over `wsHost`. */
  readonly host?: string | null | undefined;
  readonly wsHost?: string | null | undefined;
  readonly wsPort?: number | string | undefined;
  readonly wssPort?: number | string | undefined;
  readonly forceTLS?: boolean | undefined;
  /** Hosted Pusher: `ws-{cluster}.pusher.com` when there is no `wsHost`. */
  readonly cluster?: string | undefined;
  readonly auth?: { readonly headers?: HeadersOption; readonly params?: HeadersOption } | undefined;
  readonly userAuthentication?: { readonly endpoint?: string; readonly headers?: HeaderMap } | undefined;
  readonly csrfToken?: string | null | undefined;
  readonly bearerToken?: string | null | undefined;
  /** A client of ours to use as it is (laravel-echo: a ready pusher-js instance). */
  readonly client?: ReverbClient | undefined;
  /** pusher-js and laravel-echo options with no meaning here (`enabledTransports`, `Pusher`, …). */
  readonly [option: string]: unknown;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Vite (and vitest) replace the very text `import.meta.env` when they build the app, so it is spelled
 * out; elsewhere (CommonJS, Node, other bundlers) it is undefined.
 */
// @ts-expect-error ImportMeta has an `env` only with Vite's types
const viteEnv = (): Env => import.meta.env ?? {};

/** echo-react's `configureEcho` defaults, per broadcaster. */
export function echoDefaults(broadcaster: string, env: Env = viteEnv()): Partial<EchoOptions> {
  if (broadcaster === 'reverb') {
    return {
      key: env.VITE_REVERB_APP_KEY,
      wsHost: env.VITE_REVERB_HOST,
      wsPort: env.VITE_REVERB_PORT,
      wssPort: env.VITE_REVERB_PORT,
      forceTLS: (env.VITE_REVERB_SCHEME ?? 'https') === 'https',
    };
  }
  if (broadcaster === 'pusher') {
    return {
      key: env.VITE_PUSHER_APP_KEY,
      cluster: env.VITE_PUSHER_APP_CLUSTER,
      forceTLS: true,
      wsHost: env.VITE_PUSHER_HOST,
      wsPort: env.VITE_PUSHER_PORT,
      wssPort: env.VITE_PUSHER_PORT,
    };
  }
  if (broadcaster === 'ably') {
    return { key: env.VITE_ABLY_PUBLIC_KEY, wsHost: 'realtime-pusher.ably.io', wsPort: 443, forceTLS: true };
  }
  return fail(`broadcaster ${JSON.stringify(broadcaster)} is not supported: 'reverb', 'pusher' or 'ably'`);
}

function fail(message: string): never {
  throw new Error(`react-reverb/echo: ${message}`);
}

/** A setting configureEcho needs: given, or from the Vite variable echo-react reads. */
const required = (name: string, variable: string): never =>
  fail(`options.${name} is required (or ${variable} when Vite builds the app)`);

function portOf(name: string, value: number | string): number {
  const port = Number(value);
  if (value === '' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    fail(`${name} must be a port number, got ${JSON.stringify(value)}`);
  }
  return port;
}

/** Echo reads the token from `window.Laravel`, the option, then `<meta name="csrf-token">`, in that order. */
function csrfToken(option: string | null | undefined): string | null | undefined {
  const laravel = (globalThis as { Laravel?: { csrfToken?: string } }).Laravel?.csrfToken;
  if (laravel || option) return laravel || option;
  return typeof document === 'undefined'
    ? null
    : document.querySelector('meta[name="csrf-token"]')?.getAttribute('content');
}

const resolve = (headers: HeadersOption | undefined): HeaderMap =>
  typeof headers === 'function' ? headers() : (headers ?? {});

/**
 * Our client's options from Echo's: where both name a thing, ours wins (`host` over `wsHost`, `port`
 * over `wsPort`/`wssPort`, `userAuthEndpoint` over `userAuthentication.endpoint`). As pusher-js: TLS when
 * `forceTLS` (else when the page is https), then port `wssPort` (443), else `wsPort` (80).
 * `auth.headers` and `userAuthentication.headers` go with both requests (our client has one set), with
 * `X-CSRF-TOKEN` and `Authorization: Bearer …` as Echo adds them, read at each request.
 */
export function toClientOptions(input: EchoOptions, env?: Env): ReverbClientOptions {
  const options: EchoOptions = { ...echoDefaults(input.broadcaster, env), ...input };
  const { key, wsHost, wsPort, wssPort, cluster, auth, userAuthentication, bearerToken } = options;
  if (!key) return required('key', 'VITE_REVERB_APP_KEY');
  const host = options.host || wsHost || (cluster ? `ws-${cluster}.pusher.com` : undefined);
  if (!host && !options.url) return required('wsHost', 'VITE_REVERB_HOST');
  const tls = options.forceTLS ?? (typeof location !== 'undefined' && location.protocol === 'https:');
  const port = options.port ?? (tls ? portOf('wssPort', wssPort ?? 443) : portOf('wsPort', wsPort ?? 80));
  const userAuthEndpoint = options.userAuthEndpoint ?? userAuthentication?.endpoint;
  const { csrfToken: _csrf, host: _host, ...ours } = options as EchoOptions & Partial<ReverbClientOptions>;
  return {
    ...ours,
    key,
    ...(host ? { host } : {}),
    port,
    forceTLS: tls,
    // Echo's default namespace, written its way: formatEventName reads `App.Events` and `App\\Events` alike.
    namespace: options.namespace ?? 'App.Events',
    auth: {
      ...(auth?.params ? { params: auth.params } : {}),
      headers: () => {
        const token = csrfToken(options.csrfToken);
        return {
          ...userAuthentication?.headers,
          ...resolve(auth?.headers),
          ...(token ? { 'X-CSRF-TOKEN': token } : {}),
          ...(bearerToken ? { Authorization: `Bearer ${bearerToken}` } : {}),
        };
      },
    },
    ...(userAuthEndpoint ? { userAuthEndpoint } : {}),
  };
}
