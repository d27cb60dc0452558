import { MAX_LOOKUPS as MAX_NODES } from '../domain.js';
import { badUserInput } from '../errors.js';
import { builder } from './builder.js';

builder.queryFields((t) => ({
  node: t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description: 'Fetches any object by its global id; null when the id is malformed, of another type, or names nothing.',
    args: { id: t.arg.id({ required: true, description: 'A global `id`.' }) },
    resolve: (_root, { id }, { apiKeys }) => apiKeys.get(id),
  }),
  nodes: t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description: `Fetches up to ${MAX_NODES} objects by global id (across every \`nodes\` of one operation), in the order given; null in place of an id that names nothing. Ids of one Octopus user cost one upstream call together, as do all ids of one Hyperstack account.`,
    args: { ids: t.arg.idList({ required: true, description: 'Global ids.' }) },
    resolve: (_root, { ids }, { apiKeys }) => {
      if (ids.length > MAX_NODES) throw badUserInput(`nodes takes at most ${MAX_NODES} ids; got ${ids.length}.`, { field: 'ids' });
      return ids.map((id) => apiKeys.get(id));
    },
  }),
}));
