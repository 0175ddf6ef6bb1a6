/**
 * `configureEcho`'s options: laravel-echo's object as `resources/js/echo.js` writes it. The core reads
 * Echo's names itself (`ReverbClientOptions`, with its one rule where names overlap and its errors), so
 * this module adds only what echo-react and laravel-echo do around that object: echo-react's defaults
 * from Vite's `VITE_REVERB_*` / `VITE_PUSHER_*` / `VITE_ABLY_*` variables, its broadcaster check, and
 * laravel-echo's CSRF token lookup. Everything else goes to `createReverbClient` as the app wrote it.
 */
import { type ReverbClient, type ReverbClientOptions, ReverbError } from '@react-reverb/core';

/**
 * The core's options, with echo-react's looser `key` (its defaults come from `import.meta.env`, maybe
 * unset: the core refuses a missing key by name) and laravel-echo's broadcasters.
 */
export interface EchoOptions extends Omit<Partial<ReverbClientOptions>, 'key' | 'broadcaster'> {
  /** `ably` is Ably's Pusher-protocol endpoint, as echo-react configures it. */
  readonly broadcaster: 'reverb' | 'pusher' | 'ably' | (string & {});
  readonly key?: string | null | undefined;
  /** A client of ours to use as it is (laravel-echo: a ready pusher-js instance). */
  readonly client?: ReverbClient | undefined;
  /** pusher-js and laravel-echo options with no meaning here (`Pusher`, `encrypted`, …). */
  readonly [option: string]: unknown;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Vite (and vitest) replace the very text `import.meta.env` when they build the app, so it is spelled
 * out; elsewhere (CommonJS, Node, other bundlers) it is undefined.
 */
// @ts-expect-error ImportMeta has an `env` only with Vite's types
const viteEnv = (): Env => import.meta.env ?? {};

/** echo-react's `configureEcho` defaults, per broadcaster; any other broadcaster is refused. */
function echoDefaults(broadcaster: string, env: Env): Partial<EchoOptions> {
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
    // No forceTLS: pusher-js (and the core, for an object with a broadcaster) defaults to TLS.
    return { key: env.VITE_ABLY_PUBLIC_KEY, wsHost: 'realtime-pusher.ably.io', wsPort: 443 };
  }
  throw new ReverbError(
    'REVERB_ERR_OPTIONS',
    `options.broadcaster ${JSON.stringify(broadcaster)} is not supported: 'reverb', 'pusher' or 'ably'`,
  );
}

/**
 * laravel-echo's `csrfToken()`: `window.Laravel.csrfToken`, else the option, else
 * `<meta name="csrf-token">`. The core takes the option only (Laravel's own broadcasting routes skip the
 * CSRF check), but an app coming from echo-react may authorize at a route of its own behind it.
 */
function csrfToken(option: string | null | undefined): string | null | undefined {
  const laravel = (globalThis as { Laravel?: { csrfToken?: string } }).Laravel?.csrfToken;
  return (
    laravel ||
    option ||
    (typeof document === 'undefined'
      ? null
      : document.querySelector('meta[name="csrf-token"]')?.getAttribute('content'))
  );
}

/**
 * The app's object over echo-react's defaults (a value given as `undefined` overrides, as echo-react's
 * spread does), with laravel-echo's CSRF token; `ably` runs as the `pusher` broadcaster, as laravel-echo
 * runs it. Read once, when `configureEcho` is called.
 */
export function clientOptions(options: EchoOptions, env: Env = viteEnv()): ReverbClientOptions {
  const { broadcaster } = options;
  return {
    ...echoDefaults(broadcaster, env),
    ...options,
    broadcaster: broadcaster === 'ably' ? 'pusher' : broadcaster,
    csrfToken: csrfToken(options.csrfToken),
    // `key` may still be unset and `broadcaster` is one of the three: the core checks the rest.
  } as ReverbClientOptions;
}
