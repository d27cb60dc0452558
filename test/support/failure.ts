import { expect } from 'vitest';
import { UpstreamError } from '../../src/upstream/errors.js';

/** Awaits a promise that must reject with an UpstreamError, and returns that error. */
export async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}
