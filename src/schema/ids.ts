import { z } from 'zod';
import { OCTOPUS_PART } from '../services/key-ids.js';

/** Validation for an argument that takes an Octopus user id, e.g. `Users-1`. */
export const octopusUserId = (field: string) => z.string().regex(OCTOPUS_PART, `${field} must look like an Octopus user id, e.g. "Users-1".`);

/** Validation for an argument that names an account. */
export const accountName = (field: string) =>
  z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, `${field} must be the name of an account (see viewer.accounts).`);
