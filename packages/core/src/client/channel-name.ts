import { channelNameProblem, SERVER_TO_USER_PREFIX } from '../protocol/channel-names';
import { ReverbError } from '../protocol/errors';

/**
 * Throws `REVERB_ERR_CHANNEL_NAME` for a name a client may not subscribe to: one that breaks the
 * protocol's channel-name rules, or `#server-to-user-…`, which belongs to `client.user`. Shared by
 * `client.retain` and the testing kit's mock client, so both refuse the same names with the same error.
 */
export function assertClientChannelName(name: string): void {
  const problem = channelNameProblem(name);
  if (problem || name.startsWith(SERVER_TO_USER_PREFIX)) {
    throw new ReverbError(
      'REVERB_ERR_CHANNEL_NAME',
      `Cannot subscribe to "${name}": ${problem ?? 'reserved (use client.user)'}`,
    );
  }
}
