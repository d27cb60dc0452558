import { badUserInput } from '../errors.js';
import { loadApiKey } from './api-key.js';
import { builder } from './builder.js';

const MAX_NODES = 100;

builder.queryFields((t) => ({
  node: t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description: 'Fetches any object by its global id; null when the id is malformed, of another type, or names nothing.',
    args: { id: t.arg.id({ required: true, description: 'A global `id`.' }) },
    resolve: (_root, { id }, context) => loadApiKey(context, id),
  }),
  nodes: t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description: `Fetches up to ${MAX_NODES} objects by global id, in the order given; null in place of an id that names nothing. Ids of one Octopus user cost one upstream call together, as do all Hyperstack ids.`,
    args: { ids: t.arg.idList({ required: true, description: 'Global ids.' }) },
    resolve: (_root, { ids }, context) => {
      if (ids.length > MAX_NODES) throw badUserInput(`nodes takes at most ${MAX_NODES} ids; got ${ids.length}.`, { field: 'ids' });
      return ids.map((id) => loadApiKey(context, id));
    },
  }),
}));
