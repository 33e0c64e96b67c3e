/** The store: one queries module per aggregate. SQL lives here and nowhere else. */
export * from './sellers.js';
export * from './leadOrders.js';
export * from './endpoints.js';
export * from './leads.js';
export * from './deliveries.js';
export * from './attempts.js';
export * from './secretBox.js';
