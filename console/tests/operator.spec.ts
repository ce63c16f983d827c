// An operator's day: create a batch, import a CSV with a bad line (named, nothing written), import a
// good one, export it, recall a product, and the consumer page then shows the recall.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { apiToken, check, expect, provoked, signIn, test } from "./fixtures";

test("operator: batch, CSV import errors and success, export, recall -> consumer page", async ({ page, request, context, problems }) => {
  const stamp = Date.now().toString(36).toUpperCase();
  await signIn(page, "operator");
  await expect(page).toHaveURL(/\/console\/batches$/);

  // Create: the form's request id makes a double click one batch.
  await page.getByLabel("Product line").first().fill("Watches");
  await page.getByRole("form", { name: "Create a batch" }).getByLabel("SKU").fill(`OP-${stamp}`);
  await page.getByLabel("Quantity").fill("3");
  await page.getByRole("button", { name: "Create batch" }).dblclick();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(`OP-${stamp}`);
  await expect(page.getByRole("table", { name: "Products in leaf order" }).locator("tbody tr")).toHaveCount(3);
  await check(page, "operator", "batch");
  const token = await apiToken(request, "operator");
  const created = await request.get(`/v1/batches?sku=OP-${stamp}`, { headers: { authorization: `Bearer ${token}` } });
  expect(((await created.json()) as { batches: unknown[] }).batches).toHaveLength(1);

  // Import with an error on line 3: the line is named and no batch appears.
  await page.getByRole("link", { name: "Batches", exact: true }).click();
  const importForm = page.getByRole("form", { name: "Import a CSV file as a new batch" });
  await importForm.getByLabel("SKU").fill(`CSV-${stamp}`);
  await importForm.getByLabel("Product line").fill("Caps");
  await importForm.getByLabel("CSV file").setInputFiles({ name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from("external_id\r\nok\r\n\x7f\r\n") });
  await importForm.getByRole("button", { name: "Import CSV" }).click();
  await expect(importForm.getByRole("alert")).toContainText("Nothing was imported");
  await expect(importForm.getByRole("alert")).toContainText("line 3");
  provoked(problems, /status of 400/);
  await check(page, "operator", "import-error");
  const none = await request.get(`/v1/batches?sku=CSV-${stamp}`, { headers: { authorization: `Bearer ${token}` } });
  expect(((await none.json()) as { batches: unknown[] }).batches).toHaveLength(0);

  // A correct file creates the batch.
  await importForm.getByLabel("CSV file").setInputFiles({
    name: "good.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("external_id,colour\nE-1,red\nE-2,blue\nE-3,green\n"),
  });
  await importForm.getByRole("button", { name: "Import CSV" }).click();
  await expect(importForm.getByRole("status")).toContainText("Imported 3 products");
  await importForm.getByRole("link", { name: "Open the batch" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(`CSV-${stamp}`);

  // Export: the file carries the printed links and ends with its row count.
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const file = readFileSync((await (await download).path())!, "utf8");
  const lines = file.trim().split(/\r?\n/);
  expect(lines[0]).toBe("product_id,serial,external_id,token,link,lifecycle,created_at,token_fingerprint,colour");
  expect(lines.at(-1)).toBe("#rows=3");
  const [, , externalId, productToken] = lines[1].split(",");
  expect(externalId).toBe("E-1");

  // Recall the first product with a reason; the consumer page then says so.
  const firstRow = page.getByRole("table", { name: "Products in leaf order" }).locator("tbody tr").first();
  await firstRow.getByText("Recall product…").click();
  await firstRow.getByLabel("Internal reason (staff only)").fill("Clasp supplier lot 7 failed QA");
  await firstRow.getByLabel("Public reason (optional, shown to consumers)").fill("Faulty clasp, return to the shop");
  await firstRow.getByRole("button", { name: "Recall product" }).click();
  await expect(page.getByRole("table", { name: "Products in leaf order" }).locator("tbody tr").first()).toContainText("Recalled");
  await check(page, "operator", "batch-recalled");
  await page.getByRole("link", { name: `Product ${lines[1].split(",")[1]}` }).click();
  await expect(page.locator("dl.facts")).toContainText("Faulty clasp");
  await check(page, "operator", "product");
  // The printed link (and its QR) only on request.
  await expect(page.getByLabel("Printed link")).toHaveCount(0);
  await page.getByRole("button", { name: "Show the printed link" }).click();
  await expect(page.getByLabel("Printed link")).toHaveValue(new RegExp(`/r/${productToken}$`, "i"));
  await expect(page.getByRole("img", { name: /^QR code of HTTPS?:\/\//i })).toBeVisible();
  await check(page, "operator", "product-link");
  await page.getByRole("button", { name: "Hide the printed link" }).click();
  await expect(page.getByLabel("Printed link")).toHaveCount(0);

  const consumer = await context.newPage();
  const reply = await consumer.goto(`/r/${productToken}`);
  expect(reply?.status()).toBe(410);
  await expect(consumer.locator("body")).toContainText(/recall/i);
  await expect(consumer.locator("body")).toContainText("Faulty clasp");
  await expect(consumer.locator("body")).not.toContainText("supplier lot 7");
  await consumer.close();
});

test("operator never sees another factory's batches", async ({ page }) => {
  const foreignSku = process.env.CONSOLE_FOREIGN_SKU ?? "";
  expect(foreignSku).not.toBe("");
  await signIn(page, "operator", "/console/batches");
  await expect(page.getByRole("table", { name: "Batches, newest first" })).toBeVisible();
  await expect(page.locator("main")).not.toContainText(foreignSku);
  await page.getByLabel("SKU", { exact: true }).last().fill(foreignSku);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByText("No batches match these filters.")).toBeVisible();
});

test("operator: a webhook to a private address is refused with the field named, and nothing is listed", async ({ page }) => {
  await signIn(page, "operator", "/console/webhooks");
  await expect(page.getByText("No webhooks registered.")).toBeVisible();
  // This mesh lets webhooks reach loopback (the local receiver below); private networks stay refused.
  await page.getByLabel("URL").fill("https://10.0.0.5/hook");
  await page.getByLabel("Batch recalled").check();
  await page.getByRole("button", { name: "Register webhook" }).click();
  const alert = page.getByRole("form", { name: "Register a webhook" }).getByRole("alert");
  await expect(alert).toContainText("private, loopback or link-local");
  await expect(alert).toContainText("url:");
  await expect(page.getByText("No webhooks registered.")).toBeVisible();
  await check(page, "operator", "webhook-refused");
});

test("operator: a held batch is released, then revoked with a reason", async ({ page }) => {
  const sku = `HOLD-${Date.now().toString(36).toUpperCase()}`;
  await signIn(page, "operator", "/console/batches");
  const create = page.getByRole("form", { name: "Create a batch" });
  await create.getByLabel("Product line").fill("Belts");
  await create.getByLabel("SKU").fill(sku);
  await create.getByLabel("Quantity").fill("2");
  await create.getByLabel(/Hold for release/).check();
  await create.getByRole("button", { name: "Create batch" }).click();
  const facts = page.locator("dl.facts");
  await expect(facts).toContainText("Pending release");
  await page.getByRole("button", { name: "Release batch" }).click();
  await expect(facts).toContainText("Released");
  await expect(page.getByRole("button", { name: "Release batch" })).toHaveCount(0);

  // A reason is required: an empty one is refused by the form, nothing changes.
  await page.getByText("Revoke batch…").click();
  await page.getByRole("button", { name: "Revoke batch" }).click();
  await expect(facts).toContainText("Released");
  await page.locator("details").filter({ hasText: "Revoke batch…" }).getByLabel("Internal reason (staff only)").fill("Labels printed twice");
  await page.getByRole("button", { name: "Revoke batch" }).click();
  await expect(facts).toContainText("Revoked — Labels printed twice");
  // Final: no lifecycle actions remain.
  await expect(page.getByText("Recall batch…")).toHaveCount(0);
  await check(page, "operator", "batch-revoked");
});

test("operator: an open batch takes one more product, is sealed, and the product is found by its external id", async ({ page }) => {
  const sku = `OPEN-${Date.now().toString(36).toUpperCase()}`;
  const externalId = `ADD-${Date.now().toString(36).toUpperCase()}`;
  await signIn(page, "operator", "/console/batches");
  const create = page.getByRole("form", { name: "Create a batch" });
  await create.getByLabel("Product line").fill("Scarves");
  await create.getByLabel("SKU").fill(sku);
  await create.getByLabel("Quantity").fill("1");
  await create.getByLabel("Keep open for adding products").selectOption({ label: "1 hour" });
  await create.getByRole("button", { name: "Create batch" }).click();
  const facts = page.locator("dl.facts");
  await expect(facts).toContainText("until");
  const products = page.getByRole("table", { name: "Products in leaf order" }).locator("tbody tr");
  await expect(products).toHaveCount(1);
  await page.getByRole("form", { name: "Add a product" }).getByLabel("External id (optional)").fill(externalId);
  await page.getByRole("button", { name: "Add product" }).click();
  await expect(products).toHaveCount(2);
  await expect(products.last()).toContainText(externalId);
  await expect(products.last().locator("code")).toHaveText(/^[0-9a-f]{16}$/);
  await check(page, "operator", "batch-open");
  await page.getByRole("button", { name: "Seal batch now" }).click();
  await expect(facts).toContainText("no (sealed)");
  await expect(page.getByRole("form", { name: "Add a product" })).toHaveCount(0);

  // Once anchored, each product's proof bundle is fetched with the user's token and saved as a file.
  await expect(async () => {
    await page.reload();
    await expect(facts).toContainText("Anchored", { timeout: 2_000 });
  }).toPass({ timeout: 90_000 });
  const serial = (await products.last().locator("td").first().innerText()).trim();
  const proof = page.waitForEvent("download");
  await page.getByRole("button", { name: `Proof bundle of product ${serial}` }).click();
  const bundle = JSON.parse(readFileSync((await (await proof).path())!, "utf8")) as { proof: { leaf: { serial: string; batchId: string } } };
  expect(bundle.proof.leaf.serial).toBe(serial);
  await check(page, "operator", "batch-sealed");

  await page.getByRole("link", { name: "Products", exact: true }).click();
  await page.getByLabel("Search by").selectOption({ label: "External id" });
  await page.getByLabel("Value").fill(externalId);
  await page.getByRole("button", { name: "Search" }).click();
  const found = page.getByRole("table", { name: "Products found" }).locator("tbody tr");
  await expect(found).toHaveCount(1);
  await expect(found).toContainText(sku);
  await check(page, "operator", "products-search");
  await page.getByLabel("Search by").selectOption({ label: "External id" });
  await page.getByLabel("Value").fill("NO-SUCH-ID");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByText("No product matches.")).toBeVisible();
  await page.getByLabel("Value").fill(externalId);
  await page.getByRole("button", { name: "Search" }).click();
  await found.getByRole("link").click();
  await expect(page.locator("dl.facts")).toContainText(externalId);
});

test("operator: a webhook to the local receiver shows its real deliveries, and is deleted after a confirmation", async ({ page, request }) => {
  const receiver = process.env.CONSOLE_WEBHOOK_URL ?? "";
  expect(receiver).not.toBe("");
  await signIn(page, "operator", "/console/webhooks");
  await page.getByLabel("URL").fill(receiver);
  await page.getByLabel("Batch released").check();
  await page.getByRole("button", { name: "Register webhook" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Signing secret (shown once)" })).toBeVisible();

  // An event: a held batch of this factory released through the API.
  const headers = { authorization: `Bearer ${await apiToken(request, "operator")}` };
  const held = await request.post("/v1/batches", {
    headers,
    data: { requestId: randomUUID(), productLine: "Gloves", sku: `HOOK-${Date.now()}`, quantity: 1, initialLifecycle: "LIFECYCLE_STATE_PENDING_RELEASE" },
  });
  expect(held.status()).toBe(200);
  const batchId = ((await held.json()) as { batch: { id: string } }).batch.id;
  expect((await request.post(`/v1/batches/${batchId}:release`, { headers, data: {} })).status()).toBe(200);

  const deliveries = page.getByRole("table", { name: "Deliveries, newest first" }).locator("tbody tr");
  await expect(async () => {
    await page.getByRole("button", { name: `Deliveries of ${receiver}` }).click();
    await expect(deliveries.first()).toContainText("Succeeded", { timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await expect(deliveries.first()).toContainText("Batch released");
  await expect(deliveries.first()).toContainText("200");
  await check(page, "operator", "webhook-deliveries");

  await page.getByRole("button", { name: `Delete ${receiver}` }).click();
  await check(page, "operator", "webhook-confirm-delete");
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page.getByText("No webhooks registered.")).toBeVisible();
});
