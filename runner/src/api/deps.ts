/** What the API needs from the rest of the runner. */
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Db } from '../db/types.js';
import type { DeliveryQueue } from '../queue.js';
import type { Endpoint } from '../store/endpoints.js';
import type { SecretBox } from '../store/secretBox.js';
import type { IntakeSlots } from './intake.js';

/** The result of "Send test" (R7): one real attempt with the catalogue's sample lead. */
export interface TestResult {
  success: boolean;
  httpStatus: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  /** The exact body sent, as a string. */
  payload: string | null;
  contentType?: string | null;
  /** Why it failed (core/classify.ts FailureCause, or `workflow`); null on success. */
  cause?: string | null;
}

/** Implemented by the engine: sends through the endpoint's real path and records a test attempt. */
export interface DeliveryService {
  sendTest(endpoint: Endpoint): Promise<TestResult>;
}

/**
 * Checks an endpoint URL when it is saved. Returns the problem, or null when the URL is fine.
 * The default is the R9 guard (security/ssrfGuard.ts: syntax, scheme, and a public host).
 */
export type EndpointUrlValidator = (url: string, config: Config) => Promise<string | null>;

export interface AppDeps {
  db: Db;
  queue: Pick<DeliveryQueue, 'enqueueDeliveries' | 'depth'>;
  config: Config;
  logger: Logger;
  delivery: DeliveryService;
  /** Default: from config.secretsKey. */
  box?: SecretBox;
  /** Default: ssrfEndpointUrlValidator (R9: syntax, scheme, public host, system DNS). */
  validateEndpointUrl?: EndpointUrlValidator;
  /** Adds routes (e.g. the /delivery page) before the JSON 404 handler. */
  mount?: (app: Express) => void;
}

/** AppDeps with the defaults filled in, as route handlers see them. */
export interface ResolvedDeps extends AppDeps {
  box: SecretBox;
  validateEndpointUrl: EndpointUrlValidator;
  /** This app's gate of INTAKE_MAX_TRANSACTIONS. */
  intakeSlots: IntakeSlots;
}
