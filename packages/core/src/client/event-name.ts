/**
 * Laravel's event names, as Echo formats them: `.OrderShipped` (or `\OrderShipped`) is used as is,
 * `OrderShipped` gets the namespace (`App\Events\OrderShipped`), and dots become backslashes.
 */
export function formatEventName(event: string, namespace: string | false = 'App\\Events'): string {
  if (event.startsWith('.') || event.startsWith('\\')) return event.slice(1);
  return (namespace ? `${namespace}.${event}` : event).replace(/\./g, '\\');
}
