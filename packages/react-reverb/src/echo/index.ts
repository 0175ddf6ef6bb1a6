// `react-reverb/echo`: `@laravel/echo-react` 2.x's exports, same names, arguments and behaviour, on our
// client and its ref-counted channels. Its own entry, so the main entry's budget does not pay for it.
// Where it differs on purpose (echo-react's known bugs), the README's "Coming from" table says so.

export { configureEcho, echo, echoIsConfigured } from './config';
export { useConnectionStatus, useSocketId } from './connection';
export type { Echo } from './facade';
export type { EchoOptions } from './options';
export type {
  BroadcastDriver,
  BroadcastNotification,
  ChannelReturnType,
  ChannelVisibility,
  ConnectionStatus,
  EchoCallback,
  EchoChannel,
  EchoPresenceChannel,
  EchoPrivateChannel,
  EchoSubscriptionError,
  EventName,
  InferEventPayload,
  ModelEvents,
  ModelName,
  ModelPayload,
  UseChannelResult,
  UseEchoResult,
} from './types';
export {
  useChannel,
  useEcho,
  useEchoModel,
  useEchoPresence,
  useEchoPublic,
  usePresenceChannel,
  usePublicChannel,
} from './useEcho';
export { useEchoNotification } from './useEchoNotification';
