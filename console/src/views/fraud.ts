// Fraud review: the report queue by status, and a report page with its scan and product context
// where an admin changes the status with a note.
import { admin, factory } from "../api.js";
import { FraudReportStatus, FraudReportStatusSchema, type FraudReport } from "../gen/voketag/admin/v1/admin_service_pb.js";
import { LifecycleStateSchema, Role, VerdictSchema } from "../gen/voketag/common/v1/enums_pb.js";
import { session } from "../session.js";
import { announce, done, enumOptions, errorBox, field, h, label, latestOnly, link, loading, notice, Pager, short, table, when } from "../ui.js";

export function fraudView(main: HTMLElement): void {
  const status = h("select", { name: "status" }, ...enumOptions(FraudReportStatusSchema));
  const list = h("section", { "aria-label": "Reports" });
  const pager = new Pager();
  const filters = h("form", { class: "filters", "aria-label": "Filter reports" }, field("Status", status), h("button", { type: "submit" }, "Filter"));
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
      const reply = await admin.listFraudReports({ pageSize: 25, pageToken: pager.token, status: Number(status.value) });
      if (!current()) {
        return;
      }
      pager.next = reply.nextPageToken;
      done(
        list,
        table<FraudReport>(
          "Fraud reports, newest first",
          [
            { label: "Report", cell: (r) => link(`/console/fraud/${r.id}`, short(r.id), { "aria-label": `Report ${short(r.id)}` }) },
            { label: "Filed", cell: (r) => when(r.createdAt) },
            { label: "Status", cell: (r) => label(FraudReportStatusSchema, r.status) },
            { label: "On", cell: (r) => (r.productId ? "a genuine code" : "an unknown (counterfeit) code") },
            { label: "Token fingerprint", cell: (r) => (r.tokenFingerprint ? h("code", {}, r.tokenFingerprint) : "—") },
            { label: "Country", cell: (r) => r.countryCode || "—" },
            { label: "Description", cell: (r) => r.description.slice(0, 80) },
          ],
          reply.reports,
          "No reports with this status.",
        ),
        pager.controls(() => void load()),
      );
    } catch (error) {
      if (current()) {
        done(list, errorBox(error, () => void load()));
      }
    }
  }
  main.replaceChildren(h("h1", { tabindex: -1 }, "Fraud review"), filters, list);
  void load();
}

export async function reportView(main: HTMLElement, params: Record<string, string>): Promise<void> {
  main.replaceChildren(h("h1", { tabindex: -1 }, `Fraud report ${short(params.id)}`));
  const body = h("div", {});
  main.append(body);
  loading(body);
  let report: FraudReport | undefined;
  try {
    report = (await admin.getFraudReport({ id: params.id })).report;
  } catch (error) {
    done(body, errorBox(error, () => void reportView(main, params)));
    return;
  }
  if (!report) {
    return;
  }
  const context = h("section", { "aria-labelledby": "context-title" }, h("h2", { id: "context-title" }, "Scans of this product"));
  done(
    body,
    h(
      "dl",
      { class: "facts" },
      ...(
        [
          ["Status", label(FraudReportStatusSchema, report.status)],
          ["Filed", when(report.createdAt)],
          ["Description", report.description],
          ["Contact", report.contact || "—"],
          ["Country", report.countryCode || "—"],
          ["Product", report.productId ? link(`/console/products/${report.productId}`, report.productId, { "aria-label": "Open the product" }) : "none: the code names no product (likely counterfeit)"],
          ["Batch", report.batchId || "—"],
          ["Token fingerprint", report.tokenFingerprint ? h("code", {}, report.tokenFingerprint) : "—"],
          // Only a counterfeit code's text, and only for admins: a genuine token is never returned.
          ...(report.token ? [["Code as reported", h("code", {}, report.token)]] : []),
          ["Quoted scan", report.scanId || "—"],
          ["Staff note", report.note || "—"],
          ["Last changed", `${when(report.updatedAt)}${report.updatedBy ? ` by ${short(report.updatedBy)}` : ""}`],
        ] as [string, Node | string][]
      ).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    ),
    session.is(Role.ADMIN) ? reviewForm(report, () => void reportView(main, params)) : null,
    report.productId ? context : null,
  );
  if (report.productId) {
    void productContext(context, report.productId);
  }
}

function reviewForm(report: FraudReport, after: () => void): HTMLElement {
  const status = h(
    "select",
    { name: "status" },
    ...FraudReportStatusSchema.values
      .filter((v) => v.number !== FraudReportStatus.UNSPECIFIED)
      .map((v) => h("option", { value: v.number, selected: v.number === report.status }, label(FraudReportStatusSchema, v.number))),
  );
  const note = h("textarea", { name: "note", rows: 3, maxlength: 2000 }, report.note);
  const submit = h("button", { type: "submit" }, "Save review");
  const result = h("div", {});
  const form = h("form", { class: "card", "aria-labelledby": "review-title" }, h("h2", { id: "review-title" }, "Review"), field("Status", status), field("Note", note), submit, result);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    admin
      .updateFraudReport({ report: { id: report.id, status: Number(status.value), note: note.value }, updateMask: { paths: ["status", "note"] } })
      .then(() => {
        announce("Review saved");
        after();
      })
      .catch((error: unknown) => {
        result.replaceChildren(errorBox(error));
        submit.disabled = false;
      });
  });
  return form;
}

/** The reported product's lifecycle and its recent scans, so the reviewer sees the effect. */
async function productContext(target: HTMLElement, productId: string): Promise<void> {
  const box = h("div", {});
  target.append(box);
  loading(box);
  try {
    const [{ product }, { scans }] = await Promise.all([
      factory.getProduct({ id: productId }),
      admin.listSuspiciousScans({ productId, minRisk: 0, pageSize: 20 }),
    ]);
    done(
      box,
      product ? notice(`Product serial ${product.serial}: ${label(LifecycleStateSchema, product.lifecycle)}${product.lifecycleReason ? ` (${product.lifecycleReason})` : ""}`) : null,
      table(
        "Latest scans of the product",
        [
          { label: "Time", cell: (s) => when(s.scannedAt) },
          { label: "Verdict", cell: (s) => label(VerdictSchema, s.verdict) },
          { label: "Risk", cell: (s) => s.riskScore, numeric: true },
          { label: "Country", cell: (s) => s.countryCode || "—" },
          { label: "Location", cell: (s) => (s.latitude !== undefined ? `${s.latitude}, ${s.longitude}` : "—") },
        ],
        scans,
        "No scans of this product.",
      ),
    );
  } catch (error) {
    done(box, errorBox(error));
  }
}
