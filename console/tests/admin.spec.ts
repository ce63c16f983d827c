// An admin reviews a consumer's fraud report, and the dashboard shows the API's numbers.
import { randomUUID } from "node:crypto";
import { apiToken, check, expect, record, signIn, test } from "./fixtures";

test("admin reviews a fraud report and changes its status", async ({ page, request }) => {
  const token = await apiToken(request);
  const headers = { authorization: `Bearer ${token}` };
  // A consumer reports a genuine code: a real batch, its printed token from the export, the public API.
  const { factories } = (await (await request.get("/v1/admin/factories", { headers })).json()) as { factories: { id: string }[] };
  const batch = await request.post("/v1/batches", {
    headers,
    data: { requestId: randomUUID(), productLine: "Perfume", sku: `FR-${Date.now()}`, quantity: 2, factoryId: factories[0].id },
  });
  expect(batch.status()).toBe(200);
  const batchId = ((await batch.json()) as { batch: { id: string } }).batch.id;
  const csv = await (await request.get(`/v1/export/csv?batch_id=${batchId}&view=PRODUCT_VIEW_FULL`, { headers })).text();
  const productToken = csv.split(/\r?\n/)[1].split(",")[3];
  const description = `Seller on a market offers these for a third of the price (${Date.now()})`;
  const filed = await request.post("/api/fraud/report", { data: { token: productToken, description, contact: "buyer@example.com", requestId: randomUUID() } });
  expect(filed.status()).toBe(200);
  const reportId = ((await filed.json()) as { reportId: string }).reportId;

  await signIn(page, "admin", "/console/fraud");
  await expect(page.getByRole("table", { name: "Fraud reports, newest first" })).toBeVisible();
  await page.getByRole("link", { name: `Report ${reportId.slice(0, 8)}` }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(reportId.slice(0, 8));
  await expect(page.locator("main")).toContainText(description);
  await expect(page.getByRole("table", { name: "Latest scans of the product" }).or(page.getByText("No scans of this product."))).toBeVisible();
  await check(page, "admin", "fraud-report");

  await page.getByRole("form", { name: "Review" }).getByLabel("Status").selectOption({ label: "Investigating" });
  await page.getByRole("form", { name: "Review" }).getByLabel("Note").fill("Asked the marketplace for the seller's details");
  await page.getByRole("button", { name: "Save review" }).click();
  await expect(page.locator("dl.facts")).toContainText("Investigating");
  await expect(page.locator("dl.facts")).toContainText("Asked the marketplace");

  const after = (await (await request.get(`/v1/admin/fraud/reports/${reportId}`, { headers })).json()) as { report: { status: string; note: string } };
  expect(after.report.status).toBe("FRAUD_REPORT_STATUS_INVESTIGATING");
  expect(after.report.note).toBe("Asked the marketplace for the seller's details");
  await check(page, "admin", "fraud-report-reviewed");

  // A report on a counterfeit code (the genuine token with its tag changed): in the queue with its
  // fingerprint and no product; the admin reads the code as reported.
  const forged = productToken.slice(0, -4) + (productToken.endsWith("AAAA") ? "BAAA" : "AAAA");
  const fake = await request.post("/api/fraud/report", { data: { token: forged, description: "Fake box, fake code", requestId: randomUUID() } });
  expect(fake.status()).toBe(200);
  const fakeId = ((await fake.json()) as { reportId: string }).reportId;
  const fingerprint = ((await (await request.get(`/v1/admin/fraud/reports/${fakeId}`, { headers })).json()) as { report: { tokenFingerprint: string } }).report.tokenFingerprint;
  expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
  await page.getByRole("link", { name: "Fraud review" }).click();
  const fakeRow = page.getByRole("table", { name: "Fraud reports, newest first" }).getByRole("row").filter({ hasText: fingerprint });
  await expect(fakeRow).toContainText("an unknown (counterfeit) code");
  await fakeRow.getByRole("link", { name: `Report ${fakeId.slice(0, 8)}` }).click();
  await expect(page.locator("dl.facts")).toContainText("none: the code names no product");
  await expect(page.locator("dl.facts")).toContainText(fingerprint);
  await expect(page.locator("dl.facts")).toContainText(forged);
  await check(page, "admin", "fraud-counterfeit");
});

test("the dashboard's numbers equal the API's for the same range", async ({ page, request }) => {
  const headers = { authorization: `Bearer ${await apiToken(request)}` };
  await signIn(page, "admin", "/console/dashboard");
  for (const days of [7, 30, 90]) {
    await page.getByLabel("Date range").selectOption(String(days));
    await expect(page.locator("#dashboard-body[aria-busy]")).toHaveCount(0);
    await expect(page.locator("#figures")).toBeVisible();
    const start = await page.getByLabel("From").inputValue();
    const end = await page.getByLabel("To").inputValue();
    const api = (await (await request.get(`/v1/admin/analytics?start_date=${start}&end_date=${end}`, { headers })).json()) as {
      daily: { date: string; scans: string; verdicts: Record<string, string>; counterfeitScans: string }[];
      verdictDistribution: Record<string, string>;
      riskHistogram: { count: string }[];
      byCountry: { countryCode: string; scans: string; counterfeitScans: string }[];
      counterfeits?: { keyId: number; reason: string; scans: string }[];
    };
    const total = api.daily.reduce((sum, d) => sum + Number(d.scans), 0);
    expect(total, "the seeded scans fall in the range").toBeGreaterThan(0);
    const figure = async (id: string) => Number((await page.locator(`[aria-labelledby=${id}]`).innerText()).replaceAll(",", ""));
    expect(await figure("fig-scans")).toBe(total);
    for (const verdict of ["authentic", "suspicious", "invalid", "revoked"]) {
      expect(await figure(`fig-${verdict}`)).toBe(Number(api.verdictDistribution[verdict]));
    }
    // Each table row equals the API's day, bucket and country (the first two tables sit in closed <details>).
    const dailyRows = page.getByRole("table", { name: "Scans per day by verdict", includeHidden: true }).locator("tbody tr");
    await expect(dailyRows).toHaveCount(api.daily.length);
    const shown = await dailyRows.evaluateAll((rows) => rows.map((r) => [r.children[0].textContent, r.children[1].textContent, r.children[6].textContent]));
    expect(shown).toEqual(api.daily.map((d) => [d.date, String(Number(d.scans)), String(Number(d.counterfeitScans))]));
    // Counterfeit scans (seeded: 7 today, 4 two days ago, 2 five days ago): the figure and the table.
    const counterfeit = api.daily.reduce((sum, d) => sum + Number(d.counterfeitScans), 0);
    expect(counterfeit).toBe(13);
    expect(await figure("fig-counterfeit")).toBe(counterfeit);
    const byKey = await page.getByRole("table", { name: "Counterfeit scans by key id and reason" }).locator("tbody tr td:nth-child(3)").allTextContents();
    expect(byKey).toEqual((api.counterfeits ?? []).map((c) => String(Number(c.scans))));
    const countryFakes = await page.getByRole("table", { name: "Scans by country" }).locator("tbody tr td:nth-child(7)").allTextContents();
    expect(countryFakes).toEqual(api.byCountry.map((c) => String(Number(c.counterfeitScans))));
    const buckets = await page.getByRole("table", { name: "Risk-score distribution", includeHidden: true }).locator("tbody tr td:nth-child(2)").allTextContents();
    expect(buckets).toEqual(api.riskHistogram.map((b) => String(Number(b.count))));
    const countries = await page.getByRole("table", { name: "Scans by country" }).locator("tbody tr td:nth-child(2)").allTextContents();
    expect(countries).toEqual(api.byCountry.map((c) => String(Number(c.scans))));
    if (days === 90) {
      const draw = await page.evaluate(() => performance.getEntriesByName("dashboard-draw").at(-1)?.duration ?? -1);
      expect(draw).toBeGreaterThanOrEqual(0);
      record("dashboard_draw_ms_90d", Math.round(draw));
      await page.getByText("Scans per day by verdict: numbers as a table").click();
      await check(page, "admin", "dashboard-90d");
    }
  }
});

test("admin creates a user and a service account (secrets shown once), deactivates and revokes them", async ({ page }) => {
  const email = `new-${randomUUID().slice(0, 8)}@example.com`;
  await signIn(page, "admin", "/console/users");
  const newUser = page.getByRole("form", { name: "New user" });
  await newUser.getByLabel("Email").fill(email);
  await newUser.getByLabel("Display name").fill("New Operator");
  await newUser.getByLabel("Role").selectOption({ label: "Operator" });
  await newUser.getByLabel("Factory").selectOption({ index: 1 });
  await newUser.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByLabel(`Password set-up token for ${email}`)).not.toHaveValue("");
  const row = page.getByRole("row").filter({ hasText: email });
  await expect(row).toContainText("Operator");

  const account = page.getByRole("form", { name: "New service account" });
  const name = `mes-${randomUUID().slice(0, 6)}`;
  await account.getByLabel("Name").fill(name);
  await account.getByLabel("Factory").selectOption({ index: 1 });
  await account.getByRole("button", { name: "Create service account" }).click();
  await expect(page.getByLabel(/^Client secret of /)).not.toHaveValue("");
  await check(page, "admin", "users-secret-shown");

  // Deactivation and revocation ask first; Cancel changes nothing.
  await row.getByText("Manage").click();
  await row.getByRole("button", { name: "Deactivate" }).click();
  await expect(row.getByRole("group", { name: `Deactivate ${email}? Their sessions end at once.` })).toBeVisible();
  await check(page, "admin", "users-confirm");
  await row.getByRole("button", { name: "Cancel" }).click();
  await expect(row).toContainText("Yes");
  await row.getByRole("button", { name: "Deactivate" }).click();
  await row.getByRole("button", { name: "Yes, deactivate" }).click();
  await expect(page.getByRole("row").filter({ hasText: email })).toContainText("No");
  await page.getByRole("button", { name: `Revoke ${name}` }).click();
  await page.getByRole("row").filter({ hasText: name }).getByRole("button", { name: "Yes, revoke" }).click();
  await expect(page.getByRole("row").filter({ hasText: name })).toContainText("Revoked");
  // Secrets are not kept: a reload shows none.
  await page.reload();
  await expect(page.getByLabel(/^Client secret of /)).toHaveCount(0);
});

test("admin verifies the audit log's hash chain", async ({ page }) => {
  await signIn(page, "admin", "/console/audit");
  await page.getByRole("button", { name: "Verify the hash chain" }).click();
  await expect(page.locator("#verify-result")).toContainText("The chain is intact");
  await page.getByRole("table", { name: "Audit log, newest first" }).getByText("Details").first().click();
  await check(page, "admin", "audit-verified");
});

test("scans page: filters and paging over the seeded scans", async ({ page }) => {
  await signIn(page, "admin", "/console/scans");
  const rows = page.getByRole("table", { name: "Scans, newest first" }).locator("tbody tr");
  await expect(rows).toHaveCount(25);
  const first = (await rows.first().textContent()) ?? "";
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Page 2")).toBeVisible();
  await expect(rows.first()).not.toHaveText(first);
  await page.getByRole("button", { name: "Previous" }).click();
  await expect(page.getByText("Page 1")).toBeVisible();
  await expect(rows.first()).toHaveText(first);
  // Only suspicious scans of risk >= 90: every row says so.
  await page.getByLabel("Verdict").selectOption({ label: "Suspicious" });
  await page.getByLabel("Minimum risk").fill("90");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByText("Page 1")).toBeVisible();
  const risks = await rows.locator("td:nth-child(3)").allInnerTexts();
  expect(risks.length).toBeGreaterThan(0);
  expect(risks.every((r) => Number(r) >= 90)).toBe(true);
  expect((await rows.locator("td:nth-child(2)").allInnerTexts()).every((v) => v === "Suspicious")).toBe(true);
  await rows.first().getByText(/factors?$/).click();
  await check(page, "admin", "scans-filtered");
  // Only scans located in France (the seed spreads them over DE, FR, US and unknown).
  await page.getByLabel("Verdict").selectOption({ label: "Any" });
  await page.getByLabel("Minimum risk").fill("0");
  await page.getByLabel("Country").fill("fr");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(rows).toHaveCount(25);
  expect(new Set(await rows.locator("td:nth-child(4)").allInnerTexts())).toEqual(new Set(["FR"]));
  await check(page, "admin", "scans-country");
});

test("dashboard: a custom range is drawn; a reversed one is refused with the field named", async ({ page }) => {
  await signIn(page, "admin", "/console/dashboard");
  await page.getByLabel("Date range").selectOption("custom");
  const today = new Date();
  const day = (offset: number) => new Date(today.getTime() - offset * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("From").fill(day(3));
  await page.getByLabel("To").fill(day(10));
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("alert")).toContainText("start_date");
  await check(page, "admin", "dashboard-range-error");
  await page.getByLabel("From").fill(day(10));
  await page.getByLabel("To").fill(day(3));
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("table", { name: "Scans per day by verdict", includeHidden: true }).locator("tbody tr")).toHaveCount(8);
});

test("anchors: an admin retries a failed anchoring", async ({ page }) => {
  await signIn(page, "admin", "/console/anchors");
  await page.getByLabel("State").selectOption({ label: "Failed" });
  await page.getByRole("button", { name: "Filter" }).click();
  const rows = page.getByRole("table", { name: "Anchoring of each batch" }).locator("tbody tr");
  await expect(rows.first()).toContainText("the node kept refusing the transaction");
  const before = await rows.count();
  await check(page, "admin", "anchors-failed");
  await rows.first().getByRole("button", { name: /^Retry anchoring/ }).click();
  await expect(page.locator("#anchor-result")).toContainText("anchoring requested again");
  // No longer failed: the filtered list has one row less.
  await expect(rows).toHaveCount(before - 1);
});
