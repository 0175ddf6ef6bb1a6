/**
 * The options an app passes, in our names or in laravel-echo's (`ReverbClientOptions` lists them, with
 * the rule where they overlap), read where they are used; checked here, once, at creation: a value that
 * cannot work throws a `ReverbError` naming it.
 */
import { ReverbError } from '../protocol/errors';
import type { ReverbClientOptions } from './types';

/** The host of a socket URL without `url`: ours, else Echo's `wsHost`, else hosted Pusher's cluster. */
export function hostOf({ host, wsHost, cluster }: ReverbClientOptions): string | undefined {
  return host || wsHost || (cluster && `ws-${cluster}.pusher.com`);
}

function refuse(name: string, problem: string): never {
  throw new ReverbError('REVERB_ERR_OPTIONS', `options.${name} ${problem}`);
}

export function checkOptions(options: ReverbClientOptions): void {
  if (!options.key) refuse('key', 'is required');
  if (!options.url && !hostOf(options)) refuse('wsHost', '(or host, cluster, url) is required');
  for (const name of ['port', 'wsPort', 'wssPort'] as const) {
    const value = options[name];
    // Falsy is unset ('' from an empty VITE_ variable, or 0), as pusher-js reads it.
    if (value && !(+value > 0 && +value < 65536 && +value % 1 === 0)) {
      refuse(name, `is not a port number: "${value}"`);
    }
  }
}
