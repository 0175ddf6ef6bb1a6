import type { EventMeta } from '@react-reverb/core';
import { type ReactNode, useCallback, useEffect, useRef } from 'react';
import { useLatest } from './internal/useLatest';
import { useNotificationFilter } from './internal/useNotificationFilter';
import { useReplaced } from './internal/useReplaced';
import { useStore } from './internal/useStore';
import { BROADCAST_NOTIFICATION_EVENT } from './notifications';
import {
  defaultToastStore,
  type PauseReason,
  type Toast,
  type ToastInput,
  type ToastKind,
  type ToastStore,
} from './toast-store';
import { useEvent } from './useEvent';

/** A Laravel notifications channel name, or any channel event. */
export type ToastSource = string | { readonly channel: string; readonly event: string };

export interface NotificationToastProps {
  /** Feeds toasts: a notifications channel (`notificationChannel(id)`) or `{channel, event}`. Optional: `toast()` works without. */
  readonly source?: ToastSource;
  /** Notification types to show (dot or backslash form); notifications sources only. */
  readonly types?: readonly string[];
  /** Payload → toast; return null to skip. Default: `title`/`message` of the payload, else the type's name. */
  readonly format?: (data: unknown, meta: EventMeta) => ToastInput | null;
  /**
   * Shows "You were signed in on another device" (or this text) when the connection enters `replaced`
   * (`useSessionReplaced`). For servers without single session, also call `useSessionReplaced` with
   * your app's own broadcast.
   */
  readonly sessionReplaced?: boolean | string;
  /** Adapter: hand every toast from `source` to another library (sonner, react-hot-toast) and render nothing. */
  readonly onNotification?: (toast: ToastInput, data: unknown) => void;
  /** Render a toast's content yourself; the region, roles, timers and keys stay ours. */
  readonly render?: (toast: Toast, controls: { readonly dismiss: () => void }) => ReactNode;
  /** Default: the store `toast()` writes to. */
  readonly store?: ToastStore;
  /** Most toasts shown at once (the newest); older ones stay in the store, off screen, until they time out. Default 3. */
  readonly limit?: number;
  /** Focuses the region; `alt+t` by default, false for none. */
  readonly hotkey?: string | false;
  /** Accessible name of the region. Default `Notifications`. */
  readonly label?: string;
  /** Accessible name of each close button, followed by the toast's title. Default `Dismiss`. */
  readonly closeLabel?: string;
  readonly className?: string;
}

/**
 * An accessible toast region. The region and its polite live list are mounted before the first toast,
 * so screen readers announce additions; each toast is `role="status"`, errors `role="alert"`. Timers
 * pause while the pointer or focus is inside and while the tab is hidden; Escape dismisses the focused
 * (else the newest) toast; the hotkey moves focus into the region. A new toast never takes focus.
 * Unstyled: import `react-reverb/styles.css` or style `[data-rr-toaster]`, `[data-rr-toast]`.
 */
export function NotificationToast(props: NotificationToastProps): ReactNode {
  const store = props.store ?? defaultToastStore;
  const latest = useLatest(props);
  const show = useCallback(
    (input: ToastInput, data: unknown) => {
      const { onNotification } = latest.current;
      if (onNotification) onNotification(input, data);
      else store.show(input);
    },
    [latest, store],
  );
  const deliver = useCallback(
    (data: unknown, meta: EventMeta) => {
      const input = (latest.current.format ?? defaultFormat)(data, meta);
      if (input) show(input, data);
    },
    [latest, show],
  );
  const { source, sessionReplaced } = props;
  const channelSource = typeof source === 'object' ? source : undefined;
  useEvent(
    typeof source === 'string' ? source : null,
    BROADCAST_NOTIFICATION_EVENT,
    useNotificationFilter(props.types, deliver),
  );
  useEvent(channelSource?.channel, channelSource?.event ?? '', deliver);
  useReplaced(
    (error) =>
      show(
        {
          id: 'session-replaced',
          kind: 'warning',
          message:
            typeof sessionReplaced === 'string' ? sessionReplaced : 'You were signed in on another device',
          duration: 10_000,
        },
        error,
      ),
    !!sessionReplaced,
  );
  return props.onNotification ? null : <ToastRegion {...props} store={store} />;
}

const REASONS: readonly PauseReason[] = ['hidden', 'hover', 'focus'];
const MODIFIERS = ['alt', 'ctrl', 'shift', 'meta'] as const;

function ToastRegion(props: NotificationToastProps & { readonly store: ToastStore }): ReactNode {
  const {
    store,
    limit = 3,
    hotkey = 'alt+t',
    label = 'Notifications',
    closeLabel = 'Dismiss',
    render,
  } = props;
  const visible = useStore(store).slice(-Math.max(1, limit));
  const region = useRef<HTMLElement>(null);

  useEffect(() => {
    const onVisibility = () => store[document.hidden ? 'pause' : 'resume']('hidden');
    onVisibility();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      for (const reason of REASONS) store.resume(reason);
    };
  }, [store]);

  useEffect(() => {
    if (!hotkey) return;
    // `alt+t`, `ctrl+shift+k`: modifiers must match exactly; the key also by `code` (Alt+T is `†` on macOS).
    const parts = hotkey.toLowerCase().split('+');
    const key = parts.pop();
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (
        MODIFIERS.every((m) => event[`${m}Key`] === parts.includes(m)) &&
        (event.key.toLowerCase() === key || event.code.toLowerCase() === `key${key}`)
      ) {
        event.preventDefault();
        (region.current?.querySelector<HTMLElement>('[data-rr-toast]') ?? region.current)?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [hotkey]);

  const dismiss = (id: string) => {
    // Keep focus in the region when the focused toast goes, instead of dropping it on <body>.
    const hadFocus = region.current?.contains(document.activeElement);
    store.dismiss(id);
    if (hadFocus) region.current?.focus();
  };

  return (
    <section
      ref={region}
      aria-label={hotkey ? `${label} (${hotkey})` : label}
      tabIndex={-1}
      data-rr-toaster=""
      className={props.className}
      onKeyDown={(event) => {
        const id =
          (event.target as HTMLElement).closest<HTMLElement>('[data-rr-toast]')?.dataset.rrToast ??
          visible[visible.length - 1]?.id;
        if (event.key !== 'Escape' || id === undefined) return;
        event.preventDefault();
        dismiss(id);
      }}
      onMouseEnter={() => store.pause('hover')}
      onMouseLeave={() => store.resume('hover')}
      onFocus={() => store.pause('focus')}
      onBlur={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) store.resume('focus');
      }}
    >
      <ol aria-live="polite" aria-relevant="additions text" data-rr-toast-list="">
        {visible.map((t) => (
          <li
            key={t.id}
            role={t.kind === 'error' ? 'alert' : 'status'}
            aria-atomic="true"
            tabIndex={0}
            data-rr-toast={t.id}
            data-kind={t.kind}
          >
            {render ? (
              render(t, { dismiss: () => dismiss(t.id) })
            ) : (
              <>
                <div data-rr-toast-content="">
                  {t.title !== undefined && <p data-rr-toast-title="">{t.title}</p>}
                  {t.message !== undefined && <p data-rr-toast-message="">{t.message}</p>}
                </div>
                <button
                  type="button"
                  aria-label={typeof t.title === 'string' ? `${closeLabel}: ${t.title}` : closeLabel}
                  data-rr-toast-close=""
                  onClick={() => dismiss(t.id)}
                >
                  <span aria-hidden="true">×</span>
                </button>
              </>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

const KINDS: readonly string[] = ['info', 'success', 'warning', 'error'] satisfies ToastKind[];

/** `title`/`message`/`body` of the payload; a notification's type name as the title fallback. */
function defaultFormat(data: unknown): ToastInput | null {
  if (typeof data === 'string') return { message: data, data };
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  // `App\Notifications\InvoicePaid` → `Invoice Paid`.
  const typeName = text(d.type)
    ?.split(/[\\.]/)
    .pop()
    ?.replace(/([a-z])([A-Z])/g, '$1 $2');
  const title = text(d.title) ?? typeName;
  const message = text(d.message) ?? text(d.body);
  if (title === undefined && message === undefined) return null;
  return {
    ...(typeof d.id === 'string' && { id: `notification-${d.id}` }),
    ...(title !== undefined && { title }),
    ...(message !== undefined && { message }),
    kind: KINDS.includes(d.kind as string) ? (d.kind as ToastKind) : 'info',
    data,
  };
}
