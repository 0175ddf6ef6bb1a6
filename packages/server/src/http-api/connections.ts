/**
 * `GET /apps/{id}/connections`: Laravel Reverb's own endpoint (it is not part of Pusher's HTTP API),
 * signed like every other (docs/protocol.md §7.3). Reverb's answer shape, `{"connections": N}`, counted over
 * the whole cluster from the shared per-app connection counts that the `max_connections` quota uses.
 */
import type { AppConfig } from '../config/config';
import type { ClusterState } from '../scaling/cluster-state';

/** The app's open connections, every node of the cluster included. (A type: it is a JSON object.) */
export type ConnectionsAnswer = { readonly connections: number };

export async function connectionsAnswer(state: ClusterState, app: AppConfig): Promise<ConnectionsAnswer> {
  return { connections: await state.openConnections(app.id) };
}
