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
  // One test file at a time: the fault tests measure a real worker process's recording window,
  // and a second file running beside it on a two-core machine starves that process enough to
  // widen the window past what the test allows. `npm run test:unit`, which has no such tests,
  // runs on both cores.
  maxWorkers: 1,
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
