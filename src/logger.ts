import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * Structured JSON logs. keygate never puts a header, variable or secret in a log line on purpose;
 * the redaction list is the safety net should one ever slip into an object being logged.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'keygate',
      level: config.logLevel,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'headers.authorization',
          'headers["x-octopus-apikey"]',
          'headers["x-hyperstack-api-key"]',
          'headers.api_key',
          'headers.cookie',
          '*.headers.authorization',
          '*.headers["x-octopus-apikey"]',
          '*.headers["x-hyperstack-api-key"]',
          '*.headers.api_key',
          'secret',
          '*.secret',
          'apiKey',
          'token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
