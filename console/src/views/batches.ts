// Batches: the filtered, paged list; create (with a request id made once per form, so a double click
// cannot make two batches); CSV import as a new batch; and the batch page with its lifecycle actions,
// products, anchoring and the CSV export.
import { admin, anchor, factory, restError, restFetch, restUpload } from "../api.js";
import type { Factory } from "../gen/voketag/admin/v1/admin_service_pb.js";
import {
  AnchorStateSchema,
  BatchState,
  BatchStateSchema,
  LifecycleState,
  LifecycleStateSchema,
  Role,
} from "../gen/voketag/common/v1/enums_pb.js";
import { ProductView, type Batch, type Product } from "../gen/voketag/factory/v1/factory_service_pb.js";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { navigate } from "../main.js";
import { proofButton } from "../proof.js";
import { session } from "../session.js";
import {
  announce,
  dayStart,
  done,
  enumOptions,
  errorBox,
  errorMessage,
  field,
  h,
  hex,
  label,
  latestOnly,
  link,
  loading,
  notice,
  Pager,
  requestId,
  short,
  table,
  when,
} from "../ui.js";

/** Admins name the factory; operators act for their own (the server enforces it either way). */
async function factoryPicker(name = "factory", any?: string): Promise<HTMLSelectElement | null> {
  if (!session.is(Role.ADMIN)) {
    return null;
  }
  const { factories } = await admin.listFactories({ pageSize: 1000 });
  return h(
    "select",
    { name, required: any === undefined },
    any !== undefined ? h("option", { value: "" }, any) : h("option", { value: "" }, "Choose a factory"),
    ...factories.map((f: Factory) => h("option", { value: f.id }, `${f.name} (${f.code})`)),
  );
}

export async function batchesView(main: HTMLElement): Promise<void> {
  const list = h("section", { "aria-labelledby": "batches-title", id: "batch-list" });
  const pager = new Pager();
  let factories: HTMLSelectElement | null;
  try {
    factories = await factoryPicker("factory", "All factories");
  } catch (error) {
    main.replaceChildren(h("h1", { tabindex: -1 }, "Batches"), errorBox(error, () => void batchesView(main)));
    return;
  }
  const state = h("select", { name: "state" }, ...enumOptions(BatchStateSchema));
  const lifecycle = h("select", { name: "lifecycle" }, ...enumOptions(LifecycleStateSchema));
  const sku = h("input", { name: "sku", maxlength: 64 });
  const after = h("input", { type: "date", name: "after" });
  const before = h("input", { type: "date", name: "before" });
  const filters = h(
    "form",
    { class: "filters", "aria-label": "Filter batches" },
    factories ? field("Factory", factories) : null,
    field("Anchoring", state),
    field("Lifecycle", lifecycle),
    field("SKU", sku),
    field("Created from", after),
    field("Created to", before),
    h("button", { type: "submit" }, "Filter"),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    pager.reset();
    void load();
  });

  const fresh = latestOnly();
  async function load(): Promise<void> {
    const current = fresh();
    loading(list);
    try {
      const reply = await factory.listBatches({
        pageSize: 25,
        pageToken: pager.token,
        factoryId: factories?.value ?? "",
        state: Number(state.value),
        lifecycle: Number(lifecycle.value),
        sku: sku.value.trim(),
        createdAfter: dayStart(after.value),
        createdBefore: dayStart(before.value, 1),
      });
      if (!current()) {
        return;
      }
      pager.next = reply.nextPageToken;
      done(
        list,
        h("h2", { id: "batches-title" }, "Batches"),
        table<Batch>(
          "Batches, newest first",
          [
            { label: "Batch", cell: (b) => link(`/console/batches/${b.id}`, short(b.id), { "aria-label": `Batch ${b.sku} ${short(b.id)}` }) },
            { label: "SKU", cell: (b) => b.sku },
            { label: "Product line", cell: (b) => b.productLine },
            { label: "Quantity", cell: (b) => b.quantity, numeric: true },
            { label: "Lifecycle", cell: (b) => label(LifecycleStateSchema, b.lifecycle) },
            { label: "Anchoring", cell: (b) => label(BatchStateSchema, b.state) },
            { label: "Created", cell: (b) => when(b.createdAt) },
          ],
          reply.batches,
          "No batches match these filters.",
        ),
        pager.controls(() => void load()),
      );
    } catch (error) {
      if (current()) {
        done(list, errorBox(error, () => void load()));
      }
    }
  }

  main.replaceChildren(
    h("h1", { tabindex: -1 }, "Batches"),
    h("div", { class: "two" }, await createForm(), await importForm()),
    filters,
    list,
  );
  void load();
}

async function createForm(): Promise<HTMLElement> {
  const factories = await factoryPicker();
  const productLine = h("input", { name: "product_line", required: true, maxlength: 128 });
  const sku = h("input", { name: "sku", required: true, maxlength: 64, pattern: "[A-Za-z0-9._\\-]+" });
  const quantity = h("input", { name: "quantity", type: "number", required: true, min: 1, max: 1000000, value: 100 });
  const name = h("input", { name: "product_name", maxlength: 200 });
  const hold = h("input", { type: "checkbox", name: "hold", id: "create-hold" });
  // Seconds; the factory service allows at most 7 days.
  const openFor = h(
    "select",
    { name: "open_for" },
    h("option", { value: "0" }, "No: seal it now with its products"),
    h("option", { value: "3600" }, "1 hour"),
    h("option", { value: "86400" }, "1 day"),
    h("option", { value: "604800" }, "7 days"),
  );
  const submit = h("button", { type: "submit" }, "Create batch");
  const result = h("div", {});
  // One id per filled-in form: a second click or a retry after a lost reply is the same request.
  let id = requestId();
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "create-title" },
    h("h2", { id: "create-title" }, "Create a batch"),
    factories ? field("Factory", factories) : null,
    field("Product line", productLine),
    field("SKU", sku, "Letters, digits, dot, underscore, dash"),
    field("Quantity", quantity, "1 to 1,000,000 products"),
    field("Product name (optional)", name),
    h("div", { class: "check field" }, hold, h("label", { for: hold.id }, "Hold for release (consumers see it as not yet released)")),
    field("Keep open for adding products", openFor, "Products can be added until it is sealed (at the end or with Seal)"),
    submit,
    result,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    result.replaceChildren(h("p", { class: "loading" }, "Creating…"));
    factory
      .createBatch({
        requestId: id,
        factoryId: factories?.value ?? "",
        productLine: productLine.value,
        sku: sku.value,
        quantity: Number(quantity.value),
        productName: name.value,
        initialLifecycle: hold.checked ? LifecycleState.PENDING_RELEASE : LifecycleState.RELEASED,
        openFor: Number(openFor.value) ? { seconds: BigInt(openFor.value), nanos: 0 } : undefined,
      })
      .then(({ batch }) => {
        id = requestId();
        form.reset();
        announce(`Batch ${batch?.sku} created`);
        navigate(`/console/batches/${batch?.id}`);
      })
      .catch((error: unknown) => result.replaceChildren(errorBox(error)))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

/** CSV import: a new batch (from the batches list) or more products into ``batchId``. */
async function importForm(batchId = ""): Promise<HTMLElement> {
  const factories = batchId ? null : await factoryPicker();
  const file = h("input", { type: "file", name: "csv", accept: ".csv,text/csv", required: true });
  const sku = h("input", { name: "sku", required: true, maxlength: 64 });
  const productLine = h("input", { name: "product_line", required: true, maxlength: 128 });
  const progress = h("progress", { max: 100, value: 0, hidden: true, "aria-label": "Upload progress" });
  const submit = h("button", { type: "submit" }, "Import CSV");
  const result = h("div", { id: "import-result" });
  let id = requestId();
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "import-title" },
    h("h2", { id: "import-title" }, batchId ? "Add products from a CSV file" : "Import a CSV file as a new batch"),
    h("p", { class: "muted" }, "Header row first; column external_id required, other columns become metadata. All rows or none are imported."),
    factories ? field("Factory", factories) : null,
    batchId ? null : field("SKU", sku),
    batchId ? null : field("Product line", productLine),
    field("CSV file", file),
    progress,
    submit,
    result,
  );
  file.addEventListener("change", () => {
    id = requestId();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      return;
    }
    const params = new URLSearchParams({ request_id: id });
    if (batchId) {
      params.set("batch_id", batchId);
    } else {
      params.set("sku", sku.value);
      params.set("product_line", productLine.value);
      if (factories?.value) {
        params.set("factory_id", factories.value);
      }
    }
    submit.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    result.replaceChildren(h("p", { class: "loading" }, `Uploading ${chosen.name}…`));
    restUpload(`/v1/import/csv?${params}`, chosen, (fraction) => {
      progress.value = Math.round(fraction * 100);
    })
      .then(async (reply) => {
        if (reply.ok) {
          const body = (await reply.json()) as { batchId: string; rowsImported: string };
          id = requestId();
          result.replaceChildren(
            notice(`Imported ${body.rowsImported} products into batch ${short(body.batchId)}.`),
            link(`/console/batches/${body.batchId}`, "Open the batch"),
          );
        } else {
          const { message, fields } = await restError(reply);
          result.replaceChildren(errorMessage(`Nothing was imported: ${message}`, fields));
        }
      })
      .catch((error: unknown) => result.replaceChildren(errorBox(error)))
      .finally(() => {
        submit.disabled = false;
        progress.hidden = true;
      });
  });
  return form;
}

/** A revoke/recall form: an internal reason (required, staff only) and an optional public reason that
 * consumers see on the product page instead of the generic notice. */
export function reasonAction(
  title: string,
  act: (reason: string, publicReason: string) => Promise<unknown>,
  after: () => void,
): HTMLElement {
  const reason = h("textarea", { name: "reason", required: true, maxlength: 500, rows: 2 });
  const publicReason = h("textarea", { name: "public_reason", maxlength: 500, rows: 2 });
  const submit = h("button", { type: "submit", class: "danger" }, title);
  const result = h("div", {});
  const form = h(
    "form",
    { class: "reason" },
    field("Internal reason (staff only)", reason),
    field("Public reason (optional, shown to consumers)", publicReason, "Empty: consumers see a generic notice"),
    submit,
    result,
  );
  const wrapper = h("details", { class: "action" }, h("summary", {}, `${title}…`), form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    act(reason.value, publicReason.value.trim())
      .then(() => {
        announce(`${title}: done`);
        after();
      })
      .catch((error: unknown) => {
        result.replaceChildren(errorBox(error));
        submit.disabled = false;
      });
  });
  return wrapper;
}

export async function batchView(main: HTMLElement, params: Record<string, string>): Promise<void> {
  const id = params.id;
  main.replaceChildren(h("h1", { tabindex: -1 }, "Batch"));
  const body = h("div", {});
  main.append(body);
  loading(body);
  let batch: Batch | undefined;
  try {
    batch = (await factory.getBatch({ id })).batch;
  } catch (error) {
    done(body, errorBox(error, () => void batchView(main, params)));
    return;
  }
  if (!batch) {
    return;
  }
  const reload = () => void batchView(main, params);
  const writer = session.is(Role.ADMIN, Role.OPERATOR);
  const ended = batch.lifecycle === LifecycleState.REVOKED || batch.lifecycle === LifecycleState.RECALLED;
  const info = batch.anchor;
  const products = h("section", { "aria-labelledby": "products-title" });
  const pager = new Pager();
  const exportResult = h("div", {});

  async function loadProducts(): Promise<void> {
    loading(products);
    try {
      const reply = await factory.listProducts({ batchId: id, pageSize: 50, pageToken: pager.token, view: ProductView.BASIC });
      pager.next = reply.nextPageToken;
      done(
        products,
        h("h2", { id: "products-title" }, "Products"),
        table<Product>(
          "Products in leaf order",
          [
            { label: "Serial", cell: (p) => link(`/console/products/${p.id}`, p.serial.toString(), { "aria-label": `Product ${p.serial}` }), numeric: true },
            { label: "External id", cell: (p) => p.externalId || "—" },
            { label: "Token fingerprint", cell: (p) => h("code", {}, p.tokenFingerprint) },
            { label: "Lifecycle", cell: (p) => label(LifecycleStateSchema, p.lifecycle) },
            { label: "Reason", cell: (p) => p.lifecycleReason || "—" },
            {
              label: "Proof",
              cell: (p) =>
                anchored ? proofButton(p.id, "Proof bundle", { "aria-label": `Proof bundle of product ${p.serial}` }) : "after anchoring",
            },
            ...(writer && !ended
              ? [
                  {
                    label: "Actions",
                    cell: (p: Product) =>
                      p.lifecycle === LifecycleState.RECALLED || p.lifecycle === LifecycleState.REVOKED
                        ? "—"
                        : reasonAction("Recall product", (reason, publicReason) => factory.recallProduct({ id: p.id, reason, publicReason }), () => void loadProducts()),
                  },
                ]
              : []),
          ],
          reply.products,
          "This batch has no products yet.",
        ),
        pager.controls(() => void loadProducts()),
      );
    } catch (error) {
      done(products, errorBox(error, () => void loadProducts()));
    }
  }

  async function download(): Promise<void> {
    exportResult.replaceChildren(h("p", { class: "loading" }, "Preparing the CSV…"));
    try {
      // The export is for printing: it asks for the tokens and links (the server records the read).
      const reply = await restFetch(`/v1/export/csv?batch_id=${encodeURIComponent(id)}&view=PRODUCT_VIEW_FULL`);
      if (!reply.ok) {
        const { message, fields } = await restError(reply);
        exportResult.replaceChildren(errorMessage(message, fields));
        return;
      }
      // A Blob, not a string: a million-product export stays out of the JS heap.
      const file = await reply.blob();
      // The export ends with "#rows=<n>": without it the stream broke off and the file is incomplete.
      const tail = await file.slice(Math.max(0, file.size - 64)).text();
      if (!/#rows=\d+\s*$/.test(tail)) {
        exportResult.replaceChildren(errorMessage("The export was cut off; download it again."));
        return;
      }
      const url = URL.createObjectURL(file);
      const a = h("a", { href: url, download: `batch-${id}.csv`, id: "export-link" }, "Save the CSV file");
      exportResult.replaceChildren(notice("The CSV file is ready; it contains the printed links."), a);
      a.click();
    } catch (error) {
      exportResult.replaceChildren(errorBox(error));
    }
  }

  // Open while not anchoring yet and its window has not ended (SealBatch ends it now).
  const open = batch.state === BatchState.CREATED && batch.sealAt !== undefined && timestampDate(batch.sealAt) > new Date();
  const anchored = batch.state === BatchState.ANCHORED;
  const facts: [string, string][] = [
    ["SKU", batch.sku],
    ["Product line", batch.productLine],
    ["Product name", batch.productName],
    ["Quantity", String(batch.quantity)],
    ["Factory", batch.factoryId],
    ["Lifecycle", label(LifecycleStateSchema, batch.lifecycle) + (batch.lifecycleReason ? ` — ${batch.lifecycleReason}` : "")],
    ["Public reason", batch.publicReason || "—"],
    ["Open for additions", open ? `until ${when(batch.sealAt)}` : "no (sealed)"],
    ["Anchoring", label(BatchStateSchema, batch.state)],
    ["Anchor state", info ? label(AnchorStateSchema, info.state) : "—"],
    ["Transaction", info?.txHash || "—"],
    ["Block", info?.blockNumber ? info.blockNumber.toString() : "—"],
    // Batch.anchor leaves required_confirmations 0 (the Anchors screen has it).
    ["Confirmations", info ? (info.requiredConfirmations ? `${info.confirmations} of ${info.requiredConfirmations}` : String(info.confirmations)) : "—"],
    ["Batch root", info?.batchRoot.length ? hex(info.batchRoot) : "—"],
    ["Created", when(batch.createdAt)],
    ["Released", when(batch.releasedAt)],
  ];
  const verifyResult = h("div", {});
  const actions = h(
    "div",
    { class: "actions" },
    writer ? h("button", { type: "button", id: "export", onclick: () => void download() }, "Export CSV") : null,
    h(
      "button",
      {
        type: "button",
        onclick: () => {
          verifyResult.replaceChildren(h("p", { class: "loading" }, "Checking the chain…"));
          anchor
            .verifyAnchor({ batchId: id })
            .then((v) => verifyResult.replaceChildren(v.ok ? notice(`On-chain check passed: ${v.explanation}`) : errorMessage(`On-chain check failed: ${v.explanation}`)))
            .catch((error: unknown) => verifyResult.replaceChildren(errorBox(error)));
        },
      },
      "Verify on chain",
    ),
    writer && batch.lifecycle === LifecycleState.PENDING_RELEASE
      ? h(
          "button",
          { type: "button", onclick: () => void factory.releaseBatch({ id }).then(reload, (e: unknown) => exportResult.replaceChildren(errorBox(e))) },
          "Release batch",
        )
      : null,
    writer && open
      ? h(
          "button",
          { type: "button", onclick: () => void factory.sealBatch({ id }).then(reload, (e: unknown) => exportResult.replaceChildren(errorBox(e))) },
          "Seal batch now",
        )
      : null,
    writer && !ended ? reasonAction("Revoke batch", (reason, publicReason) => factory.revokeBatch({ id, reason, publicReason }), reload) : null,
    writer && !ended ? reasonAction("Recall batch", (reason, publicReason) => factory.recallBatch({ id, reason, publicReason }), reload) : null,
  );
  done(
    body,
    h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    actions,
    verifyResult,
    exportResult,
    writer && open ? h("div", { class: "two" }, addProductForm(id, reload), await importForm(id)) : null,
    products,
  );
  main.querySelector("h1")!.textContent = `Batch ${batch.sku} · ${short(batch.id)}`;
  void loadProducts();
}

/** One product more in an open batch (CreateProduct), with a request id per filled-in form. */
function addProductForm(batchId: string, after: () => void): HTMLElement {
  const externalId = h("input", { name: "external_id", maxlength: 128 });
  const submit = h("button", { type: "submit" }, "Add product");
  const result = h("div", {});
  let id = requestId();
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "add-product-title" },
    h("h2", { id: "add-product-title" }, "Add a product"),
    field("External id (optional)", externalId, "Your own identifier, unique in this batch"),
    submit,
    result,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    factory
      .createProduct({ requestId: id, batchId, externalId: externalId.value.trim() })
      .then(({ product }) => {
        id = requestId();
        announce(`Product ${product?.serial} added`);
        after();
      })
      .catch((error: unknown) => {
        result.replaceChildren(errorBox(error));
        submit.disabled = false;
      });
  });
  return form;
}
