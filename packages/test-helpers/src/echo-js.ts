/** Vite's `import.meta.env` as resources/js/echo.js reads it: strings, or missing. */
export type ViteEnv = Readonly<Record<string, string | undefined>>;

/**
 * The connection options `php artisan install:broadcasting --reverb` writes into resources/js/echo.js,
 * computed from `env` exactly as that file computes them. One copy for every test that checks our
 * clients take them unchanged; a test adds its auth settings (and Node's `WebSocket`) next to them.
 * Generic so that an env whose key is a string (a TypeScript app's vite-env.d.ts) gives a string key.
 */
export function echoJsConnection<Env extends ViteEnv>(env: Env) {
  return {
    broadcaster: 'reverb' as const,
    key: env.VITE_REVERB_APP_KEY as Env['VITE_REVERB_APP_KEY'],
    wsHost: env.VITE_REVERB_HOST,
    wsPort: env.VITE_REVERB_PORT ?? 80,
    wssPort: env.VITE_REVERB_PORT ?? 443,
    forceTLS: (env.VITE_REVERB_SCHEME ?? 'https') === 'https',
    enabledTransports: ['ws', 'wss'] as Array<'ws' | 'wss'>,
  };
}
