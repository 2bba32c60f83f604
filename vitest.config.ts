// Unit and integration tests run in plain Node against the TypeScript sources (the core never
// needs Electron). E2E specs are Playwright's (playwright.config.ts).
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    typecheck: { enabled: false },
    globalSetup: ['test/helpers/global-build.ts'],
  },
})
