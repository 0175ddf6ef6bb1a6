// The worker side of bench/pool.mjs: answers `{id, cmd, args}` messages from the parent with
// `{id, ok, result | error}`, and exits when the parent goes away.

/**
 * @param {Record<string, (args: never) => unknown>} handlers
 */
export function serveCommands(handlers) {
  process.on('message', async (/** @type {{ id: number, cmd: string, args: never }} */ message) => {
    try {
      const handler = handlers[message.cmd];
      if (!handler) throw new Error(`unknown command ${message.cmd}`);
      const result = await handler(message.args);
      process.send?.({ id: message.id, ok: true, result });
    } catch (error) {
      process.send?.({
        id: message.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
