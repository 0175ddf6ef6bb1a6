// The core, re-exported so an app needs one import (`createReverbClient`, errors, types).

export type * from '@react-reverb/core';
export {
  AuthError,
  ClientEventError,
  createReverbClient,
  formatEventName,
  ReverbError,
} from '@react-reverb/core';
export {
  type ChannelSchema,
  createReverbHooks,
  type EventsOf,
  type TypedReverbHooks,
} from './createReverbHooks';
export {
  BROADCAST_NOTIFICATION_EVENT,
  type BroadcastNotification,
  matchesNotificationType,
  normalizeNotificationType,
  notificationChannel,
} from './notifications';
export { ReverbProvider, type ReverbProviderProps } from './ReverbProvider';
export { type UseChannelOptions, type UseChannelResult, useChannel } from './useChannel';
export { useConnectionState } from './useConnectionState';
export { type UseEventOptions, useEvent } from './useEvent';
export { useListen } from './useListen';
export { useListenForWhisper } from './useListenForWhisper';
export {
  type UseNotificationsOptions,
  type UseNotificationsResult,
  useNotifications,
} from './useNotifications';
export { type UsePresenceOptions, type UsePresenceResult, usePresence } from './usePresence';
export { ReverbContext, useReverb } from './useReverb';
export { type UseSessionReplacedOptions, useSessionReplaced } from './useSessionReplaced';
export { useSocketId } from './useSocketId';
export { type UseUserResult, useUser, useUserEvent } from './useUser';
export { type UseWhisperOptions, useWhisper } from './useWhisper';
