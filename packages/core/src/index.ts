/**
 * `@react-reverb/core`: the framework-agnostic client. No React, no `window` at module scope; the
 * wire lives in `@react-reverb/core/protocol`, encryption in `@react-reverb/core/encrypted`.
 */

export { assertClientChannelName } from './client/channel-name';
export { createReverbClient } from './client/client';
export { AuthError, ClientEventError } from './client/errors';
export { formatEventName } from './client/event-name';
// The external-store factory behind every client store, for framework packages' own stores.
export { createStore, type Store } from './client/store';
export type * from './client/types';
export { ReverbError } from './protocol/errors';
// Re-exported so framework packages can name client events without loading the whole protocol entry.
export { CLIENT_EVENT_PREFIX } from './protocol/events';
