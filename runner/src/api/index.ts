export { createApp, apiRoutes, BODY_LIMIT } from './app.js';
export type { AppDeps, DeliveryService, TestResult, EndpointUrlValidator } from './deps.js';
export { validateEndpointUrl } from './urlValidation.js';
export { ApiError } from './errors.js';
export { acceptLead, changeMeeting, type LeadEventResult } from './intake.js';
