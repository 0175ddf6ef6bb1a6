// `react-reverb/toast`: the toast UI, in its own entry like `@react-reverb/core/encrypted`. An app that
// shows notifications its own way (or through sonner/react-hot-toast, fed by `useNotifications`) never
// loads it, whether its bundler tree-shakes (ESM) or not (CommonJS, unbundled ESM from a CDN).

export { NotificationToast, type NotificationToastProps, type ToastSource } from './NotificationToast';
export {
  createToastStore,
  defaultToastStore,
  type PauseReason,
  type Toast,
  type ToastInput,
  type ToastKind,
  type ToastStore,
  type ToastStoreOptions,
  toast,
} from './toast-store';
export { type UseToastResult, useToast } from './useToast';
