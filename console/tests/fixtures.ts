// Shared test fixtures: the seeded users, a page that fails the test on any console error or CSP
// violation, sign-in, screenshots and the axe-core check.
import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type APIRequestContext, type Page } from "@playwright/test";
import { mkdirSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

export const artifacts = process.env.CONSOLE_ARTIFACTS ?? "../test-artifacts/console";
export const password = process.env.CONSOLE_PASSWORD ?? "";
export const users = {
  admin: process.env.CONSOLE_ADMIN_EMAIL ?? "",
  auditor: process.env.CONSOLE_AUDITOR_EMAIL ?? "",
  operator: process.env.CONSOLE_OPERATOR_EMAIL ?? "",
};
export type RoleName = keyof typeof users;

/** Product tokens are 34 characters of uppercase base32 (see DESIGN.md): no screen shows one to an auditor. */
export const TOKEN_PATTERN = /\b[A-Z2-7]{34}\b/;

// Automatic: every test fails on a console error, an uncaught exception or a CSP violation.
export const test = base.extend<{ problems: string[] }>({
  problems: [
    async ({ page }, use) => {
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") {
        problems.push(`console error: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    await use(problems);
    expect(problems, "console errors or CSP violations").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** Takes out the one console line a test provoked on purpose: Chromium logs the status of a refused
 * REST call (the CSV upload) as an error. Exactly one such line must be there. */
export function provoked(problems: string[], line: RegExp): void {
  const index = problems.findIndex((p) => line.test(p));
  expect(index, `expected a console line matching ${line}`).toBeGreaterThanOrEqual(0);
  problems.splice(index, 1);
}

export async function signIn(page: Page, role: RoleName, target = "/console/"): Promise<void> {
  await page.goto(target);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("Email").fill(users[role]);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

/** Waits until no region is loading, then saves a full-page screenshot and runs axe-core on it. */
export async function check(page: Page, role: string, screen: string): Promise<void> {
  await expect(page.locator("[aria-busy=true]")).toHaveCount(0);
  // Chart.js sizes its canvas from a ResizeObserver callback: let two frames pass so charts are drawn.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  const dir = join(artifacts, "screens", role);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${screen}.png`), fullPage: true });
  const result = await new AxeBuilder({ page }).analyze();
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

/** A bearer token for API calls made by the test itself (the seeded admin). */
export async function apiToken(request: APIRequestContext, role: RoleName = "admin"): Promise<string> {
  const reply = await request.post("/v1/auth/login", { data: { email: users[role], password } });
  expect(reply.status()).toBe(200);
  return ((await reply.json()) as { accessToken: string }).accessToken;
}

/** Measurements collected across tests into one JSON file (read by the pytest wrapper). */
export function record(name: string, value: number): void {
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, "measurements.json");
  const current = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, number>) : {};
  current[name] = value;
  writeFileSync(path, JSON.stringify(current, null, 2));
}
