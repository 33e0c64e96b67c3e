/**
 * One log line per API request when it finishes: method, path (no query string), status and
 * duration. Request headers only at debug level, with the credentials in them redacted by the
 * logger (logging.ts); request and response bodies never.
 */
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line: Record<string, unknown> = {
        req: { method: req.method, path: req.path },
        res: { statusCode: status },
        durationMs: Math.round(performance.now() - started),
      };
      if (logger.isLevelEnabled('debug')) {
        (line.req as Record<string, unknown>).headers = req.headers;
      }
      logger[level](line, 'request');
    });
    next();
  };
}
