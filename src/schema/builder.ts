import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ValidationPlugin from '@pothos/plugin-validation';
import { GraphQLError, Kind } from 'graphql';
import type { GatewayContext } from '../context.js';
import { badUserInput } from '../errors.js';

/** The one schema builder: plugins, context type, scalars. Types live one per file beside it. */
export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: { list: false; items: false };
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    ID: { Input: string; Output: string };
  };
}>({
  plugins: [RelayPlugin, ValidationPlugin],
  defaultFieldNullability: false,
  relay: {
    // `node`/`nodes` are ours (src/schema/node.ts): a malformed or unknown id answers null, and
    // ids of both providers are batched per provider.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    nodesOnConnection: { description: 'The keys of this page, without cursors: a shortcut for `edges { node }`.' },
    nodeTypeOptions: {
      description: 'An object with a global id, which `node(id:)` and `nodes(ids:)` fetch again.',
    },
    pageInfoTypeOptions: {
      description: 'Where a page of a connection sits, as in the Relay connection specification.',
    },
    idFieldOptions: { description: 'Opaque global id: pass it to `node`, `apiKey` or a mutation.' },
    cursorFieldOptions: { description: 'Opaque position of this edge; pass it as `after` or `before`.' },
    nodeFieldOptions: { nullable: false, description: 'The item at this position.' },
    edgesFieldOptions: { nullable: { list: false, items: false }, description: 'The items of this page, each with its cursor.' },
    pageInfoFieldOptions: { description: 'Where this page sits: whether more pages exist and the cursors to reach them.' },
    firstArgOptions: { description: 'Page forward: at most this many items from the start (or after `after`). Default 50, at most 500.' },
    afterArgOptions: { description: 'Start after this cursor (an `endCursor` or edge `cursor`). Stays valid when keys are added or removed.' },
    lastArgOptions: { description: 'Page backward: at most this many items from the end (or before `before`).' },
    beforeArgOptions: { description: 'End before this cursor (a `startCursor` or edge `cursor`).' },
    hasNextPageFieldOptions: { description: 'Whether more items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'Whether items come before this page.' },
    startCursorFieldOptions: { description: 'Cursor of the first item of this page; pass it as `before` for the previous page.' },
    endCursorFieldOptions: { description: 'Cursor of the last item of this page; pass it as `after` for the next page.' },
  },
  validation: {
    validationError: (result) =>
      badUserInput(result.issues.map((issue) => issue.message).join(' '), {
        fields: result.issues.map((issue) => issue.path?.map((p) => (typeof p === 'object' ? p.key : p)).join('.')),
      }),
  },
});

builder.queryType({ description: 'Read the API keys you hold at Octopus Deploy and Hyperstack.' });
builder.mutationType({
  description:
    'Create, rename, rotate and revoke API keys at either provider. Every payload is nullable, so one failing mutation never discards the result (and secret) of another in the same operation.',
});

const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Whether the fields name a day and a time that exist: Date would roll 2027-02-30 over to March 2. */
function onTheCalendar([, year, month, day, hour, minute, , second]: RegExpExecArray): boolean {
  const [y, m, d] = [Number(year), Number(month), Number(day)];
  const lastOfMonth = new Date(0);
  lastOfMonth.setUTCFullYear(y, m, 0); // not Date.UTC, which reads years 0–99 as 1900–1999
  const daysInMonth = lastOfMonth.getUTCDate();
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth && Number(hour) <= 23 && Number(minute) <= 59 && Number(second ?? 0) <= 59;
}

function parseDateTime(value: unknown): Date {
  const fields = typeof value === 'string' ? ISO_WITH_ZONE.exec(value) : null;
  if (!fields) {
    throw new GraphQLError('DateTime must be an ISO-8601 date and time with a zone, e.g. "2027-01-31T12:00:00Z".', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  const date = new Date(value as string);
  if (Number.isNaN(date.getTime()) || !onTheCalendar(fields)) {
    throw new GraphQLError(`"${value}" is not a valid date and time.`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  // A zone can carry a time past the years ISO-8601 writes in four digits (9999-12-31T23:00-05:00 is
  // the year 10000 in UTC), which neither the store nor the providers can take.
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) {
    throw new GraphQLError(`"${value}" is outside the years 0000 to 9999 in UTC.`, { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return date;
}

builder.scalarType('DateTime', {
  description:
    'A moment in time as ISO-8601. Output is always UTC (`2026-03-01T10:15:30.123Z`); input may use any zone but must name one (`Z` or `+02:00`).',
  serialize: (value) => value.toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});
