// Sessions: renewal keeps a reload signed in; expiry and revocation send the user to sign-in and back
// to the same page afterwards; signing out ends the session on the server.
import { randomUUID } from "node:crypto";
import { apiToken, check, expect, password, signIn, test } from "./fixtures";
import type { APIRequestContext, Page } from "@playwright/test";

async function freshAuditor(request: APIRequestContext): Promise<{ id: string; email: string; headers: Record<string, string> }> {
  const headers = { authorization: `Bearer ${await apiToken(request)}` };
  const email = `session-${randomUUID().slice(0, 8)}@example.com`;
  const reply = await request.post("/v1/admin/users", {
    headers,
    data: { requestId: randomUUID(), email, displayName: "Session Test", role: "ROLE_AUDITOR", password },
  });
  expect(reply.status()).toBe(200);
  return { id: ((await reply.json()) as { user: { id: string } }).user.id, email, headers };
}

async function signInAs(page: Page, email: string): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a deep link asks for sign-in first and then opens; a reload stays signed in", async ({ page }) => {
  await signIn(page, "auditor", "/console/audit");
  await expect(page).toHaveURL(/\/console\/audit$/);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
});

test("a revoked session (user deactivated elsewhere) sends the user to sign-in, then back", async ({ page, request }) => {
  const user = await freshAuditor(request);
  await page.goto("/console/scans");
  await signInAs(page, user.email);
  await expect(page.getByRole("heading", { name: "Scans" })).toBeVisible();

  expect((await request.delete(`/v1/admin/users/${user.id}`, { headers: user.headers })).status()).toBe(200);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page).toHaveURL(/\/console\/signin\?expired=1&next=%2Fconsole%2Faudit$/);
  await expect(page.getByRole("status").filter({ hasText: "Your session has ended" })).toBeVisible();
  await check(page, "anonymous", "signin-expired");

  // Reactivated, the user signs in and lands on the page they were going to.
  const reactivated = await request.patch(`/v1/admin/users/${user.id}?update_mask=active`, { headers: user.headers, data: { active: true } });
  expect(reactivated.status()).toBe(200);
  await signInAs(page, user.email);
  await expect(page).toHaveURL(/\/console\/audit$/);
});

test("an expired session sends the user to sign-in without losing the page", async ({ page }) => {
  await page.clock.install();
  await signIn(page, "auditor", "/console/scans?x=1");
  await expect(page.getByRole("heading", { name: "Scans" })).toBeVisible();
  // A week later (the refresh token lives 7 days), the next action finds the session over.
  await page.clock.setSystemTime(Date.now() + 8 * 86_400_000);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Fraud review" }).click();
  await expect(page).toHaveURL(/\/console\/signin\?expired=1&next=%2Fconsole%2Ffraud$/);
});

test("sign-out ends the session on the server", async ({ page, request }) => {
  await signIn(page, "auditor", "/console/dashboard");
  const refresh = await page.evaluate(() => sessionStorage.getItem("voketag.console.refresh"));
  expect(refresh).toBeTruthy();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  expect(await page.evaluate(() => sessionStorage.getItem("voketag.console.refresh"))).toBeNull();
  const reuse = await request.post("/v1/auth/refresh", { data: { refreshToken: refresh } });
  expect(reuse.status()).toBe(401);
  await page.goto("/console/dashboard");
  await expect(page).toHaveURL(/\/console\/signin\?next=%2Fconsole%2Fdashboard$/);
});

test("the session renews itself in the background, without the password", async ({ page }) => {
  await page.clock.install();
  await signIn(page, "auditor", "/console/scans");
  const before = await page.evaluate(() => sessionStorage.getItem("voketag.console.refresh"));
  // Past the access token's renewal point (15 min lifetime, renewed a minute early): the timer fires.
  await page.clock.runFor(15 * 60_000);
  await expect.poll(() => page.evaluate(() => sessionStorage.getItem("voketag.console.refresh"))).not.toBe(before);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Audit log, newest first" })).toBeVisible();
});
