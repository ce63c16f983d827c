// Dashboard: scans per day by verdict, the risk-score distribution, scans by country and the
// headline backlog figures, each chart with the same numbers as a table (and on hover).
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
  type ChartDataset,
} from "chart.js";
import { admin } from "../api.js";
import type { GetAnalyticsResponse, GetDashboardResponse } from "../gen/voketag/admin/v1/admin_service_pb.js";
import { done, errorBox, field, h, latestOnly, loading, table, when } from "../ui.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

// Colour-blind-safe (Okabe-Ito) and distinguishable in grey scale by order and legend.
const VERDICTS = [
  { key: "authentic", label: "Authentic", color: "#0072b2" },
  { key: "suspicious", label: "Suspicious", color: "#e69f00" },
  { key: "invalid", label: "Invalid", color: "#d55e00" },
  { key: "revoked", label: "Revoked", color: "#6b6b6b" },
] as const;

type Day = GetAnalyticsResponse["daily"][number];

// The daily chart stacks disjoint parts: the API's invalid count includes the counterfeit scans (codes
// that name no product), which get a bar segment of their own.
const STACK: { label: string; color: string; value: (d: Day) => bigint }[] = [
  { label: "Authentic", color: "#0072b2", value: (d) => d.verdicts?.authentic ?? 0n },
  { label: "Suspicious", color: "#e69f00", value: (d) => d.verdicts?.suspicious ?? 0n },
  { label: "Invalid (genuine code)", color: "#d55e00", value: (d) => (d.verdicts?.invalid ?? 0n) - d.counterfeitScans },
  { label: "Counterfeit (no such product)", color: "#cc79a7", value: (d) => d.counterfeitScans },
  { label: "Revoked", color: "#6b6b6b", value: (d) => d.verdicts?.revoked ?? 0n },
];

// Why the scan service refused a code (CounterfeitStats.reason), for people.
const REFUSALS: Record<string, string> = {
  BAD_TAG: "Forged (signature does not match)",
  UNKNOWN_KEY: "Unknown key",
  RETIRED_KEY: "Retired key",
  MALFORMED: "Not a VokeTag code",
  UNKNOWN_PRODUCT: "No such product",
};

const DAY_MS = 86_400_000;
let charts: Chart[] = [];

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function dashboardView(main: HTMLElement): void {
  const today = Date.now();
  const range = h(
    "select",
    { name: "range" },
    h("option", { value: "7" }, "Last 7 days"),
    h("option", { value: "30", selected: true }, "Last 30 days"),
    h("option", { value: "90" }, "Last 90 days"),
    h("option", { value: "custom" }, "Custom range"),
  );
  const start = h("input", { type: "date", name: "start", value: isoDay(today - 29 * DAY_MS) });
  const end = h("input", { type: "date", name: "end", value: isoDay(today) });
  const custom = h("div", { class: "row", hidden: true }, field("From", start), field("To", end));
  const body = h("section", { "aria-label": "Figures", id: "dashboard-body" });
  const form = h("form", { class: "filters" }, field("Date range", range), custom, h("button", { type: "submit" }, "Show"));

  range.addEventListener("change", () => {
    custom.hidden = range.value !== "custom";
    if (range.value !== "custom") {
      start.value = isoDay(Date.now() - (Number(range.value) - 1) * DAY_MS);
      end.value = isoDay(Date.now());
      void load();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void load();
  });

  const fresh = latestOnly();
  async function load(): Promise<void> {
    const current = fresh();
    loading(body);
    try {
      const [analytics, dashboard] = await Promise.all([
        admin.getAnalytics({ startDate: start.value, endDate: end.value }),
        admin.getDashboard({}),
      ]);
      if (!current()) {
        return;
      }
      performance.mark("dashboard-data");
      draw(body, analytics, dashboard);
      performance.measure("dashboard-draw", "dashboard-data");
    } catch (error) {
      if (current()) {
        done(body, errorBox(error, () => void load()));
      }
    }
  }

  main.replaceChildren(h("h1", { tabindex: -1 }, "Dashboard"), form, body);
  void load();
}

function figure(title: string, value: bigint | number, id: string): HTMLElement {
  return h("div", { class: "figure" }, h("span", { class: "figure-label", id }, title), h("strong", { "aria-labelledby": id }, value.toLocaleString()));
}

function chartBlock(title: string, canvasId: string, tableEl: HTMLElement): { block: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = h("canvas", { id: canvasId, role: "img", "aria-label": `${title}; the same numbers are in the table below` });
  const block = h(
    "section",
    { class: "card chart", "aria-labelledby": `${canvasId}-title` },
    h("h2", { id: `${canvasId}-title` }, title),
    h("div", { class: "canvas-box" }, canvas),
    h("details", {}, h("summary", {}, `${title}: numbers as a table`), tableEl),
  );
  return { block, canvas };
}

function draw(body: HTMLElement, analytics: GetAnalyticsResponse, dashboard: GetDashboardResponse): void {
  charts.forEach((chart) => chart.destroy());
  charts = [];
  const scans = analytics.daily.reduce((sum, day) => sum + day.scans, 0n);
  const totals = VERDICTS.map((v) => analytics.verdictDistribution?.[v.key] ?? 0n);
  const counterfeit = analytics.daily.reduce((sum, day) => sum + day.counterfeitScans, 0n);

  const daily = chartBlock(
    "Scans per day by verdict",
    "chart-daily",
    table(
      "Scans per day by verdict",
      [
        { label: "Day", cell: (d) => d.date },
        { label: "Scans", cell: (d) => d.scans.toString(), numeric: true },
        ...VERDICTS.map((v) => ({ label: v.label, cell: (d: Day) => (d.verdicts?.[v.key] ?? 0n).toString(), numeric: true })),
        { label: "of which counterfeit", cell: (d) => d.counterfeitScans.toString(), numeric: true },
        { label: "Mean risk", cell: (d) => d.averageRisk.toFixed(1), numeric: true },
      ],
      analytics.daily,
      "No days in this range.",
    ),
  );
  const risk = chartBlock(
    "Risk-score distribution",
    "chart-risk",
    table(
      "Risk-score distribution",
      [
        { label: "Scores", cell: (b) => `${b.minScore}–${b.maxScore}` },
        { label: "Scans", cell: (b) => b.count.toString(), numeric: true },
      ],
      analytics.riskHistogram,
    ),
  );
  const countries = table(
    "Scans by country",
    [
      { label: "Country", cell: (c) => (c.countryCode === "ZZ" ? "Unknown" : c.countryCode) },
      { label: "Scans", cell: (c) => c.scans.toString(), numeric: true },
      ...VERDICTS.map((v) => ({ label: v.label, cell: (c: (typeof analytics.byCountry)[number]) => (c.verdicts?.[v.key] ?? 0n).toString(), numeric: true })),
      { label: "of which counterfeit", cell: (c) => c.counterfeitScans.toString(), numeric: true },
      { label: "Mean risk", cell: (c) => c.averageRisk.toFixed(1), numeric: true },
    ],
    analytics.byCountry,
    "No scans in this range.",
  );
  const counterfeits = table(
    "Counterfeit scans by key id and reason",
    [
      { label: "Key id", cell: (c) => (c.keyId < 0 ? "unreadable" : c.keyId), numeric: true },
      { label: "Reason", cell: (c) => REFUSALS[c.reason] ?? c.reason },
      { label: "Scans", cell: (c) => c.scans.toString(), numeric: true },
    ],
    analytics.counterfeits,
    "No counterfeit scans in this range.",
  );

  done(
    body,
    h(
      "div",
      { class: "figures", id: "figures" },
      figure("Scans in range", scans, "fig-scans"),
      ...VERDICTS.map((v, i) => figure(v.label, totals[i], `fig-${v.key}`)),
      figure("of which counterfeit", counterfeit, "fig-counterfeit"),
      figure("Open fraud reports", dashboard.openFraudReports, "fig-open-reports"),
      figure("Anchoring backlog", dashboard.anchoringBacklog, "fig-backlog"),
      figure("Anchoring failed", dashboard.anchoringFailed, "fig-failed"),
    ),
    h("p", { class: "muted" }, `${analytics.startDate} to ${analytics.endDate} (UTC). Headline figures computed ${when(dashboard.generatedAt)}.`),
    daily.block,
    risk.block,
    h("section", { class: "card", "aria-labelledby": "countries-title" }, h("h2", { id: "countries-title" }, "Scans by country"), countries),
    h("section", { class: "card", "aria-labelledby": "counterfeits-title" }, h("h2", { id: "counterfeits-title" }, "Counterfeit scans"), counterfeits),
  );

  const common = { animation: false as const, responsive: true, maintainAspectRatio: false };
  const datasets: ChartDataset<"bar", number[]>[] = STACK.map((part) => ({
    label: part.label,
    backgroundColor: part.color,
    data: analytics.daily.map((d) => Number(part.value(d))),
  }));
  charts.push(
    new Chart(daily.canvas, {
      type: "bar",
      data: { labels: analytics.daily.map((d) => d.date.slice(5)), datasets },
      options: { ...common, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    }),
    new Chart(risk.canvas, {
      type: "bar",
      data: {
        labels: analytics.riskHistogram.map((b) => `${b.minScore}–${b.maxScore}`),
        datasets: [{ label: "Scans", backgroundColor: "#0072b2", data: analytics.riskHistogram.map((b) => Number(b.count)) }],
      },
      options: { ...common, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
    }),
  );
}
