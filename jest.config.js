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
};
