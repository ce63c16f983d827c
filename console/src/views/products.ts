// Products: find one by id, and its page with lifecycle, scans (risk history), fraud reports, the
// proof bundle and (for admins and operators) revoke/recall.
import { encode } from "uqr";
import { admin, factory } from "../api.js";
import { FraudReportStatusSchema } from "../gen/voketag/admin/v1/admin_service_pb.js";
import { LifecycleState, LifecycleStateSchema, Role, VerdictSchema } from "../gen/voketag/common/v1/enums_pb.js";
import { navigate } from "../main.js";
import { session } from "../session.js";
import { reasonAction } from "./batches.js";
import { done, errorBox, errorMessage, field, h, label, link, loading, short, table, when } from "../ui.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function productsView(main: HTMLElement): void {
  const id = h("input", { name: "id", required: true, maxlength: 36, autocomplete: "off" });
  const result = h("div", {});
  const form = h(
    "form",
    { class: "filters", "aria-label": "Find a product" },
    field("Product id", id, "The product_id column of a CSV export, or from a batch page"),
    h("button", { type: "submit" }, "Open"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = id.value.trim().toLowerCase();
    if (!UUID.test(value)) {
      result.replaceChildren(errorMessage("A product id is a UUID, for example 0192f3a4-5b6c-7d8e-9f00-112233445566.", ["id: not a UUID"]));
      id.focus();
      return;
    }
    navigate(`/console/products/${value}`);
  });
  main.replaceChildren(
    h("h1", { tabindex: -1 }, "Products"),
    h("p", { class: "muted" }, "Products are listed on their batch's page. Search by serial or external id needs an API the factory service does not offer yet."),
    form,
    result,
  );
}

export async function productView(main: HTMLElement, params: Record<string, string>): Promise<void> {
  main.replaceChildren(h("h1", { tabindex: -1 }, `Product ${short(params.id)}`));
  const body = h("div", {});
  main.append(body);
  loading(body);
  let product;
  try {
    product = (await factory.getProduct({ id: params.id })).product;
  } catch (error) {
    done(body, errorBox(error, () => void productView(main, params)));
    return;
  }
  if (!product) {
    return;
  }
  const reload = () => void productView(main, params);
  const ended = product.lifecycle === LifecycleState.RECALLED || product.lifecycle === LifecycleState.REVOKED;
  const writer = session.is(Role.ADMIN, Role.OPERATOR);
  const staff = session.is(Role.ADMIN, Role.AUDITOR);
  const scans = h("section", { "aria-labelledby": "scans-title" });
  const reports = h("section", { "aria-labelledby": "reports-title" });
  const facts: [string, Node | string][] = [
    ["Serial", product.serial.toString()],
    ["External id", product.externalId || "—"],
    ["SKU", product.sku],
    ["Batch", writer ? link(`/console/batches/${product.batchId}`, product.batchId) : product.batchId],
    ["Lifecycle", label(LifecycleStateSchema, product.lifecycle) + (product.lifecycleReason ? ` — ${product.lifecycleReason}` : "")],
    ["Leaf index", product.leafIndex.toString()],
    ["Created", when(product.createdAt)],
    ["Last change", when(product.updatedAt)],
    ...Object.entries(product.metadata).map(([k, v]): [string, string] => [`Metadata ${k}`, v]),
  ];
  done(
    body,
    h("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h(
      "div",
      { class: "actions" },
      h("a", { href: `/v1/merkle/proof/${product.id}`, download: `proof-${product.id}.json` }, "Download the proof bundle"),
      writer && !ended
        ? reasonAction("Revoke product", "internal, not shown to consumers", (reason) => factory.revokeProduct({ id: params.id, reason }), reload)
        : null,
      writer && !ended ? reasonAction("Recall product", "shown to consumers", (reason) => factory.recallProduct({ id: params.id, reason }), reload) : null,
    ),
    writer ? printedLink(product.link) : null,
    staff ? scans : null,
    staff ? reports : null,
  );
  // Scans and fraud reports are staff data (admin_svc allows admins and auditors only).
  if (staff) {
    void loadScans(scans, product.id);
    void loadReports(reports, product.id);
  }
}

async function loadScans(target: HTMLElement, productId: string): Promise<void> {
  loading(target);
  try {
    const reply = await admin.listSuspiciousScans({ productId, minRisk: 0, pageSize: 50 });
    done(
      target,
      h("h2", { id: "scans-title" }, "Scans and risk history"),
      table(
        "The product's latest scans",
        [
          { label: "Time", cell: (s) => when(s.scannedAt) },
          { label: "Verdict", cell: (s) => label(VerdictSchema, s.verdict) },
          { label: "Risk", cell: (s) => s.riskScore, numeric: true },
          { label: "Country", cell: (s) => s.countryCode || "—" },
        ],
        reply.scans,
        "Not scanned yet.",
      ),
    );
  } catch (error) {
    done(target, h("h2", { id: "scans-title" }, "Scans and risk history"), errorBox(error, () => void loadScans(target, productId)));
  }
}

async function loadReports(target: HTMLElement, productId: string): Promise<void> {
  loading(target);
  try {
    const reply = await admin.listFraudReports({ productId, pageSize: 50 });
    done(
      target,
      h("h2", { id: "reports-title" }, "Fraud reports"),
      table(
        "Fraud reports on this product",
        [
          { label: "Report", cell: (r) => link(`/console/fraud/${r.id}`, short(r.id)) },
          { label: "Filed", cell: (r) => when(r.createdAt) },
          { label: "Status", cell: (r) => label(FraudReportStatusSchema, r.status) },
        ],
        reply.reports,
        "No fraud reports.",
      ),
    );
  } catch (error) {
    done(target, h("h2", { id: "reports-title" }, "Fraud reports"), errorBox(error, () => void loadReports(target, productId)));
  }
}

/** The printed link and its QR code, for the roles that print labels, only when asked for: the token
 * in it is what a counterfeiter would need. The link comes from the factory service exactly as it is
 * printed (upper case, so the QR stays in alphanumeric mode). */
function printedLink(url: string): HTMLElement {
  const box = h("div", { class: "printed", hidden: true });
  const toggle = h("button", { type: "button", "aria-expanded": "false" }, "Show the printed link");
  toggle.addEventListener("click", () => {
    const showing = box.hidden;
    box.hidden = !showing;
    toggle.textContent = showing ? "Hide the printed link" : "Show the printed link";
    toggle.setAttribute("aria-expanded", String(showing));
    box.replaceChildren(...(showing ? [h("input", { readonly: true, value: url, class: "secret", "aria-label": "Printed link" }), qr(url)] : []));
  });
  return h("div", {}, toggle, box);
}

function qr(text: string): HTMLCanvasElement {
  const { data, size } = encode(text, { ecc: "M", border: 4 });
  const scale = 4;
  const canvas = h("canvas", { width: size * scale, height: size * scale, role: "img", "aria-label": `QR code of ${text}` });
  const context = canvas.getContext("2d");
  if (context) {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = "#000";
    data.forEach((row, y) => row.forEach((dark, x) => dark && context.fillRect(x * scale, y * scale, scale, scale)));
  }
  return canvas;
}
