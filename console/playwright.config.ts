// Browser tests of the console against a running mesh (tests/console/test_console.py starts it and
// passes the gateway URL and the seeded users in the environment). Debian's Chromium is used
// directly: Playwright never downloads a browser here.
import { defineConfig } from "@playwright/test";

const artifacts = process.env.CONSOLE_ARTIFACTS ?? "../test-artifacts/console";

export default defineConfig({
  testDir: "tests",
  outputDir: `${artifacts}/playwright`,
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL: process.env.CONSOLE_BASE_URL,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
    acceptDownloads: true,
    trace: "off",
    screenshot: "only-on-failure",
    viewport: { width: 1280, height: 900 },
  },
});
