// Each role sees exactly its screens, every screen passes axe-core, and screenshots are saved.
import { check, expect, password, record, signIn, test, TOKEN_PATTERN, users, type RoleName } from "./fixtures";

const SCREENS: Record<RoleName, string[]> = {
  admin: ["Dashboard", "Batches", "Products", "Fraud review", "Scans", "Anchors", "Users", "Audit log", "Webhooks"],
  auditor: ["Dashboard", "Products", "Fraud review", "Scans", "Anchors", "Audit log"],
  operator: ["Batches", "Products", "Anchors", "Webhooks"],
};
const ALL = SCREENS.admin;
const PATHS: Record<string, string> = {
  Dashboard: "dashboard",
  Batches: "batches",
  Products: "products",
  "Fraud review": "fraud",
  Scans: "scans",
  Anchors: "anchors",
  Users: "users",
  "Audit log": "audit",
  Webhooks: "webhooks",
};

test("the sign-in page loads fast and passes axe-core", async ({ page, problems }) => {
  await page.goto("/console/signin");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  const load = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    return nav.loadEventEnd - nav.startTime;
  });
  record("first_load_ms", Math.round(load));
  await check(page, "anonymous", "signin");
  await page.getByLabel("Email").fill("nobody@example.com");
  await page.getByLabel("Password").fill("wrong password here");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Wrong email or password.");
  await check(page, "anonymous", "signin-wrong-password");
  expect(problems).toEqual([]);
});

for (const role of Object.keys(SCREENS) as RoleName[]) {
  test(`${role} sees exactly its screens`, async ({ page }) => {
    await signIn(page, role);
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link")).toHaveText(SCREENS[role]);
    for (const screen of SCREENS[role]) {
      await nav.getByRole("link", { name: screen, exact: true }).click();
      await expect(page).toHaveURL(new RegExp(`/console/${PATHS[screen]}$`));
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await check(page, role, PATHS[screen]);
      if (role === "auditor") {
        await expect(page.locator("main")).not.toContainText(TOKEN_PATTERN);
      }
    }
    if (role === "auditor") {
      // A product page reached from a fraud report: lifecycle, scans and proof, never the token.
      await nav.getByRole("link", { name: "Fraud review" }).click();
      // (a report on a genuine code: counterfeit ones have no product)
      await page.getByRole("table", { name: "Fraud reports, newest first" }).getByRole("row").filter({ hasText: "a genuine code" }).getByRole("link").first().click();
      // Read only: the report is shown, the review form is not.
      await expect(page.getByRole("heading", { level: 1 })).toContainText("Fraud report");
      await expect(page.getByRole("button", { name: "Save review" })).toHaveCount(0);
      await page.getByRole("link", { name: "Open the product" }).click();
      await expect(page.getByRole("heading", { level: 1 })).toContainText("Product");
      await expect(page.getByRole("heading", { name: "Scans and risk history" })).toBeVisible();
      await expect(page.getByRole("heading", { name: "Fraud reports" })).toBeVisible();
      await check(page, role, "product");
      await expect(page.locator("main")).not.toContainText(TOKEN_PATTERN);
      await expect(page.getByText("Recall product…")).toHaveCount(0);
      await expect(page.getByRole("button", { name: "Show the printed link" })).toHaveCount(0);
    }
    if (role !== "admin") {
      // Failed anchorings are visible, their retry is not (admin only).
      await nav.getByRole("link", { name: "Anchors" }).click();
      await page.getByLabel("State").selectOption({ label: "Failed" });
      await page.getByRole("button", { name: "Filter" }).click();
      await expect(page.getByRole("table", { name: "Anchoring of each batch" })).toContainText("Failed");
      await expect(page.getByRole("button", { name: /^Retry/ })).toHaveCount(0);
    }
    // A screen outside the role is not reachable by typing its address either.
    for (const screen of ALL.filter((s) => !SCREENS[role].includes(s))) {
      await page.goto(`/console/${PATHS[screen]}`);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Not available for your role");
    }
  });
}

test("keyboard only: sign-in, skip link and navigation", async ({ page }) => {
  await page.goto("/console/signin");
  await expect(page.getByLabel("Email")).toBeFocused();
  await page.keyboard.type(users.auditor);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeFocused();
  // The skip link (first in the page) shows when focused and jumps to the content.
  const skip = page.getByRole("link", { name: "Skip to content" });
  await skip.focus();
  await expect(skip).toBeInViewport();
  await page.keyboard.press("Enter");
  await expect(page.locator("main")).toBeFocused();
  // Enter on a navigation link opens its screen with the focus on its title.
  await page.getByRole("link", { name: "Scans" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Scans", level: 1 })).toBeFocused();
});
