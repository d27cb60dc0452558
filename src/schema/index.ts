import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './api-key.js';
import './api-key-list.js';
import './octopus.js';
import './hyperstack.js';
import './node.js';
import './viewer.js';
import './audit.js';
import './rotation.js';
import './leaked.js';

let schema: GraphQLSchema | undefined;

/** The schema, built once per process (building is the costly part; requests share it). */
export function buildSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** The SDL kept in `schema.graphql`. */
export function printSchemaSDL(): string {
  return `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;
}
