/**
 * The real-n8n tests (`npm run test:n8n`): a real n8n 2.41 server from the cache outside the
 * repository (test/n8n/install-n8n.sh), kept out of the default `npm test` run.
 */
const base = require('../../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '../..',
  testMatch: ['<rootDir>/test/n8n/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 120000,
};
