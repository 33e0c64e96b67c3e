/** @type {import('jest').Config} */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/runner/test/**/*.test.ts'],
  // test/n8n runs a real n8n server: `npm run test:n8n`, with its own config.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/n8n/'],
  // .js suffixes in TypeScript imports (nodenext) point at the .ts sources under jest.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 60000,
  // Each test file has its own schema (or database) and its own servers on port 0, so files run
  // side by side on both cores.
  maxWorkers: 2,
  // `npm test -- --coverage` (as .ci/run does) prints the coverage of the code that runs under
  // node (the page's own code runs in Chromium and is not counted).
  collectCoverageFrom: [
    'core/**/*.ts',
    'nodes/**/*.ts',
    'credentials/**/*.ts',
    'runner/src/**/*.ts',
  ],
  coverageReporters: ['text-summary'],
};
