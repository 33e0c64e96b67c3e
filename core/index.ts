/** The domain core in one import: `import { mapLead, formatPayload, sendWebhook } from '../core/index.js'`. */
export * from './types.js';
export * from './catalogue.js';
export * from './names.js';
export * from './headers.js';
export * from './values.js';
export * from './mapping.js';
export * from './formats/index.js';
export * from './instant.js';
export * from './meeting.js';
export * from './signing.js';
export * from './classify.js';
export * from './version.js';
export * from './deliver.js';
export * from './redact.js';
export * from './storableText.js';
