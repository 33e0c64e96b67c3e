/**
 * The runner's pino logger (spec R9: secrets are never logged). Two layers:
 * - `redact` paths for every place a secret could sit in a log object: API keys in request
 *   headers, endpoint header values and signing secrets, recorded request headers, the runner's
 *   own keys in its config;
 * - an `err` serializer that drops the properties errors carry their inputs in: body-parser's
 *   raw `body`, n8n node errors' `node` (its parameters hold the endpoint's header values) and
 *   `context`, HTTP client errors' `config`/`request`/`response`, and PostgreSQL's `detail` (a
 *   refused row's values).
 * Request bodies are never logged at all.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config.js';

export const REDACTED = '[Redacted]';

/** Header names whose values are credentials, in any request or response the runner logs. */
const SECRET_HEADERS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'proxy-authorization',
];

export const REDACT_PATHS: readonly string[] = [
  ...SECRET_HEADERS.flatMap((name) => [
    `req.headers["${name}"]`,
    `request.headers["${name}"]`,
    `headers["${name}"]`,
  ]),
  // Endpoint header lists ({name, value}) at the top, one or two levels down.
  'headers[*].value',
  '*.headers[*].value',
  '*.*.headers[*].value',
  // Headers recorded for the history (already redacted by core; never trust that twice).
  'requestHeaders.*',
  '*.requestHeaders.*',
  // Signing secrets, API keys and the runner's own keys, wherever an object carrying them lands.
  ...['signingSecret', 'previousSigningSecret', 'secret', 'previousSecret', 'apiKey'].flatMap(
    (key) => [key, `*.${key}`, `*.*.${key}`],
  ),
  'providerApiKey',
  '*.providerApiKey',
  'secretsKey',
  '*.secretsKey',
];

/** Error properties that hold a request's or a node's inputs rather than describe the error. */
const ERROR_INPUT_PROPERTIES = [
  'body',
  'node',
  'context',
  'config',
  'request',
  'response',
  // PostgreSQL's detail of a refused row ("Failing row contains (...)") quotes its values: lead
  // data, a receiver's answer.
  'detail',
];

function serializeError(err: unknown): unknown {
  const serialized = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (serialized === null || typeof serialized !== 'object') return serialized;
  for (const key of ERROR_INPUT_PROPERTIES) {
    if (key in serialized) serialized[key] = REDACTED;
  }
  return serialized;
}

export function loggerOptions(level: Config['logLevel']): LoggerOptions {
  return {
    level,
    base: { service: 'lead-delivery' },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    serializers: { err: serializeError },
  };
}

/** The runner's logger; `destination` for tests that read the output. */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  destination?: DestinationStream,
): Logger {
  const options = loggerOptions(config.logLevel);
  // Asynchronous writes (lines written while a write is in flight go out together): a line per
  // request written synchronously to a pipe was a large share of the runner's CPU under load.
  // Flushed on shutdown (flushLogger).
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

/** Writes out what the logger still buffers (before the process exits). */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush();
  } catch {
    // A destination without buffering has nothing to flush.
  }
}
