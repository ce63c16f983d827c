// Scans: risky and invalid scans with filters and their seven risk factors explained.
import { admin } from "../api.js";
import type { Factory, ScanRecord } from "../gen/voketag/admin/v1/admin_service_pb.js";
import { VerdictSchema } from "../gen/voketag/common/v1/enums_pb.js";
import { RiskFactorKindSchema } from "../gen/voketag/common/v1/risk_pb.js";
import { dayStart, done, enumOptions, errorBox, field, h, label, latestOnly, loading, Pager, short, table, when } from "../ui.js";

export async function scansView(main: HTMLElement): Promise<void> {
  let factories: Factory[];
  try {
    factories = (await admin.listFactories({ pageSize: 1000 })).factories;
  } catch (error) {
    main.replaceChildren(h("h1", { tabindex: -1 }, "Scans"), errorBox(error, () => void scansView(main)));
    return;
  }
  const factory = h("select", { name: "factory" }, h("option", { value: "" }, "All factories"), ...factories.map((f) => h("option", { value: f.id }, f.name)));
  const verdict = h("select", { name: "verdict" }, ...enumOptions(VerdictSchema));
  const minRisk = h("input", { type: "number", name: "min_risk", min: 0, max: 100, value: 50 });
  const country = h("input", { name: "country", maxlength: 2, size: 3, pattern: "[A-Za-z]{2}", autocomplete: "off" });
  const after = h("input", { type: "date", name: "after" });
  const before = h("input", { type: "date", name: "before" });
  const list = h("section", { "aria-label": "Scans" });
  const pager = new Pager();
  const filters = h(
    "form",
    { class: "filters", "aria-label": "Filter scans" },
    field("Factory", factory),
    field("Verdict", verdict),
    field("Minimum risk", minRisk),
    field("Country", country, "Two letters, e.g. DE"),
    field("From", after),
    field("To", before),
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
      const reply = await admin.listSuspiciousScans({
        pageSize: 25,
        pageToken: pager.token,
        factoryId: factory.value,
        verdict: Number(verdict.value),
        minRisk: Number(minRisk.value || 0),
        countryCode: country.value.trim().toUpperCase(),
        startTime: dayStart(after.value),
        endTime: dayStart(before.value, 1),
      });
      if (!current()) {
        return;
      }
      pager.next = reply.nextPageToken;
      done(
        list,
        table<ScanRecord>(
          "Scans, newest first",
          [
            { label: "Time", cell: (s) => when(s.scannedAt) },
            { label: "Verdict", cell: (s) => label(VerdictSchema, s.verdict) },
            { label: "Risk", cell: (s) => s.riskScore, numeric: true },
            { label: "Country", cell: (s) => s.countryCode || "—" },
            { label: "Serial", cell: (s) => (s.serial ? s.serial.toString() : "invalid code") },
            { label: "Batch", cell: (s) => short(s.batchId) },
            {
              label: "Factors",
              cell: (s) =>
                h(
                  "details",
                  {},
                  h("summary", {}, `${s.factors.length} ${s.factors.length === 1 ? "factor" : "factors"}`),
                  h(
                    "ul",
                    { class: "factors" },
                    ...s.factors.map((f) =>
                      h("li", {}, `${label(RiskFactorKindSchema, f.kind)}: +${f.contribution}${f.available ? "" : " (no data)"}${f.explanation ? ` — ${f.explanation}` : ""}`),
                    ),
                  ),
                ),
            },
          ],
          reply.scans,
          "No scans match these filters.",
        ),
        pager.controls(() => void load()),
      );
    } catch (error) {
      if (current()) {
        done(list, errorBox(error, () => void load()));
      }
    }
  }
  main.replaceChildren(h("h1", { tabindex: -1 }, "Scans"), filters, list);
  void load();
}
