// Products: find them by serial, external id or id, and its page with lifecycle, scans (risk history), fraud reports, the
// proof bundle and (for admins and operators) revoke/recall.
import { encode } from "uqr";
import { admin, factory } from "../api.js";
import { FraudReportStatusSchema } from "../gen/voketag/admin/v1/admin_service_pb.js";
import { LifecycleState, LifecycleStateSchema, Role, VerdictSchema } from "../gen/voketag/common/v1/enums_pb.js";
import { ProductView, type Product } from "../gen/voketag/factory/v1/factory_service_pb.js";
import { navigate } from "../main.js";
import { session } from "../session.js";
import { reasonAction } from "./batches.js";
import { proofButton } from "../proof.js";
import { done, errorBox, errorMessage, field, h, label, latestOnly, link, loading, short, table, when } from "../ui.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SERIAL = /^\d{1,19}$/;

/** Find products by serial or external id (SearchProducts: operators see their own factory's only), or
 * open one by its id. */
export function productsView(main: HTMLElement): void {
  const query = h("input", { name: "q", required: true, maxlength: 128, autocomplete: "off" });
  const kind = h(
    "select",
    { name: "kind" },
    h("option", { value: "external" }, "External id"),
    h("option", { value: "serial" }, "Serial"),
    h("option", { value: "id" }, "Product id"),
  );
  const result = h("section", { "aria-live": "polite", id: "product-results" });
  const form = h(
    "form",
    { class: "filters", "aria-label": "Find a product" },
    field("Search by", kind),
    field("Value", query, "An external id, a serial, or the product_id column of a CSV export"),
    h("button", { type: "submit" }, "Search"),
  );
  const fresh = latestOnly();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = query.value.trim();
    if (kind.value === "id") {
      if (!UUID.test(value)) {
        result.replaceChildren(errorMessage("A product id is a UUID, for example 0192f3a4-5b6c-7d8e-9f00-112233445566.", ["id: not a UUID"]));
        query.focus();
        return;
      }
      navigate(`/console/products/${value.toLowerCase()}`);
      return;
    }
    if (kind.value === "serial" && !SERIAL.test(value)) {
      result.replaceChildren(errorMessage("A serial is a whole number, for example 1000000000000042.", ["serial: not a number"]));
      query.focus();
      return;
    }
    void search(kind.value === "serial" ? { serial: BigInt(value) } : { externalId: value });
  });

  async function search(criteria: { serial?: bigint; externalId?: string }): Promise<void> {
    const current = fresh();
    loading(result);
    try {
      const reply = await factory.searchProducts({ ...criteria, pageSize: 100 });
      if (!current()) {
        return;
      }
      done(
        result,
        table<Product>(
          "Products found",
          [
            { label: "Serial", cell: (p) => link(`/console/products/${p.id}`, p.serial.toString(), { "aria-label": `Product ${p.serial}` }), numeric: true },
            { label: "External id", cell: (p) => p.externalId || "—" },
            { label: "SKU", cell: (p) => p.sku },
            { label: "Batch", cell: (p) => short(p.batchId) },
            { label: "Token fingerprint", cell: (p) => h("code", {}, p.tokenFingerprint) },
            { label: "Lifecycle", cell: (p) => label(LifecycleStateSchema, p.lifecycle) },
          ],
          reply.products,
          "No product matches.",
        ),
        reply.nextPageToken ? h("p", { class: "muted" }, "More than 100 products match; narrow the search.") : null,
      );
    } catch (error) {
      if (current()) {
        done(result, errorBox(error));
      }
    }
  }

  main.replaceChildren(h("h1", { tabindex: -1 }, "Products"), form, result);
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
    ["Token fingerprint", h("code", {}, product.tokenFingerprint)],
    ["SKU", product.sku],
    ["Batch", writer ? link(`/console/batches/${product.batchId}`, product.batchId) : product.batchId],
    ["Lifecycle", label(LifecycleStateSchema, product.lifecycle) + (product.lifecycleReason ? ` — ${product.lifecycleReason}` : "")],
    ["Public reason", product.publicReason || "—"],
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
      proofButton(product.id),
      writer && !ended
        ? reasonAction("Revoke product", (reason, publicReason) => factory.revokeProduct({ id: params.id, reason, publicReason }), reload)
        : null,
      writer && !ended ? reasonAction("Recall product", (reason, publicReason) => factory.recallProduct({ id: params.id, reason, publicReason }), reload) : null,
    ),
    writer ? printedLink(product.id) : null,
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
 * in it is what a counterfeiter would need, so it is fetched then (GetProduct with the full view, which
 * the server allows admins and the factory's operators only and records in the audit log) and
 * forgotten when hidden. The link is exactly as printed (upper case, so the QR stays alphanumeric). */
function printedLink(productId: string): HTMLElement {
  const box = h("div", { class: "printed", hidden: true });
  const toggle = h("button", { type: "button", "aria-expanded": "false" }, "Show the printed link");
  const hide = () => {
    box.hidden = true;
    box.replaceChildren();
    toggle.textContent = "Show the printed link";
    toggle.setAttribute("aria-expanded", "false");
  };
  toggle.addEventListener("click", () => {
    if (!box.hidden) {
      hide();
      return;
    }
    toggle.disabled = true;
    factory
      .getProduct({ id: productId, view: ProductView.FULL })
      .then(({ product }) => {
        const url = product?.link ?? "";
        box.hidden = false;
        box.replaceChildren(h("input", { readonly: true, value: url, class: "secret", "aria-label": "Printed link" }), qr(url));
        toggle.textContent = "Hide the printed link";
        toggle.setAttribute("aria-expanded", "true");
      })
      .catch((error: unknown) => {
        box.hidden = false;
        box.replaceChildren(errorBox(error));
      })
      .finally(() => {
        toggle.disabled = false;
      });
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
