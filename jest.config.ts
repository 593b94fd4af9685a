/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// Jest runs in ESM mode (NODE_OPTIONS=--experimental-vm-modules): the Prisma client is ESM.
const swc: [string, Record<string, unknown>] = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  },
];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  testEnvironment: 'node',
};

const config: Config = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/packages/*/test/**/*.test.ts',
        '<rootDir>/apps/*/test/unit/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/apps/*/test/integration/**/*.test.ts'],
    },
  ],
  // Integration files start their own genq stack each; two at a time fit 2 cores.
  maxWorkers: 2,
  testTimeout: 60_000,
};

export default config;
