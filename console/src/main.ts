// Entry point: the router, the persistent navigation and the session lifecycle.
import "./style.css";
import { Role, RoleSchema } from "./gen/voketag/common/v1/enums_pb.js";
import { session } from "./session.js";
import { h, label } from "./ui.js";
import { signInView } from "./views/signin.js";
import { dashboardView } from "./views/dashboard.js";
import { batchesView, batchView } from "./views/batches.js";
import { fraudView, reportView } from "./views/fraud.js";
import { productsView, productView } from "./views/products.js";
import { scansView } from "./views/scans.js";
import { anchorsView } from "./views/anchors.js";
import { usersView } from "./views/users.js";
import { auditView } from "./views/audit.js";
import { webhooksView } from "./views/webhooks.js";

export type View = (main: HTMLElement, params: Record<string, string>) => Promise<void> | void;

interface Screen {
  path: RegExp;
  title: string;
  roles: Role[];
  view: View;
  nav?: string; // the href of its navigation entry; screens without one are reached from a list
}

const { ADMIN, AUDITOR, OPERATOR } = Role;

// Who sees which screen, from issue 13: auditors read dashboards, scans, fraud, anchors and the audit
// log, and products with their proofs (never their tokens); operators work on their own factory's
// batches, products, anchors and webhooks; admins see everything.
const SCREENS: Screen[] = [
  { path: /^\/dashboard$/, title: "Dashboard", roles: [ADMIN, AUDITOR], view: dashboardView, nav: "/console/dashboard" },
  { path: /^\/batches$/, title: "Batches", roles: [ADMIN, OPERATOR], view: batchesView, nav: "/console/batches" },
  { path: /^\/batches\/(?<id>[0-9a-f-]{36})$/, title: "Batch", roles: [ADMIN, OPERATOR], view: batchView },
  { path: /^\/products$/, title: "Products", roles: [ADMIN, AUDITOR, OPERATOR], view: productsView, nav: "/console/products" },
  { path: /^\/products\/(?<id>[0-9a-f-]{36})$/, title: "Product", roles: [ADMIN, AUDITOR, OPERATOR], view: productView },
  { path: /^\/fraud$/, title: "Fraud review", roles: [ADMIN, AUDITOR], view: fraudView, nav: "/console/fraud" },
  { path: /^\/fraud\/(?<id>[0-9a-f-]{36})$/, title: "Fraud report", roles: [ADMIN, AUDITOR], view: reportView },
  { path: /^\/scans$/, title: "Scans", roles: [ADMIN, AUDITOR], view: scansView, nav: "/console/scans" },
  { path: /^\/anchors$/, title: "Anchors", roles: [ADMIN, AUDITOR, OPERATOR], view: anchorsView, nav: "/console/anchors" },
  { path: /^\/users$/, title: "Users", roles: [ADMIN], view: usersView, nav: "/console/users" },
  { path: /^\/audit$/, title: "Audit log", roles: [ADMIN, AUDITOR], view: auditView, nav: "/console/audit" },
  { path: /^\/webhooks$/, title: "Webhooks", roles: [ADMIN, OPERATOR], view: webhooksView, nav: "/console/webhooks" },
];

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const who = document.getElementById("who") as HTMLElement;

function home(): string {
  return session.is(OPERATOR) ? "/console/batches" : "/console/dashboard";
}

export function navigate(href: string, replace = false): void {
  if (replace) {
    history.replaceState(null, "", href);
  } else {
    history.pushState(null, "", href);
  }
  void route();
}

function renderChrome(): void {
  const current = location.pathname;
  nav.replaceChildren(
    ...(session.user
      ? [
          h(
            "ul",
            {},
            ...SCREENS.filter((s) => s.nav && session.is(...s.roles)).map((s) =>
              h("li", {}, h("a", { href: s.nav!, "data-link": true, "aria-current": current.startsWith(s.nav!) ? "page" : null }, s.title)),
            ),
          ),
        ]
      : []),
  );
  who.replaceChildren(
    ...(session.user
      ? [
          h("span", { class: "who" }, `${session.user.displayName} · ${label(RoleSchema, session.user.role)}`),
          h("button", { type: "button", id: "sign-out", onclick: () => void signOut() }, "Sign out"),
        ]
      : []),
  );
}

async function signOut(): Promise<void> {
  try {
    await session.signOut();
  } finally {
    navigate("/console/signin", true);
  }
}

let generation = 0;

async function route(): Promise<void> {
  const mine = ++generation;
  const path = location.pathname.replace(/^\/console/, "").replace(/\/$/, "") || "/";
  if (path === "/signin") {
    renderChrome();
    document.title = "Sign in · VokeTag console";
    await signInView(main, Object.fromEntries(new URLSearchParams(location.search)));
    return;
  }
  if (!session.user && !(await session.restore())) {
    if (mine === generation) {
      navigate(`/console/signin?next=${encodeURIComponent(location.pathname + location.search)}`, true);
    }
    return;
  }
  if (mine !== generation) {
    return;
  }
  renderChrome();
  if (path === "/") {
    navigate(home(), true);
    return;
  }
  const screen = SCREENS.find((s) => s.path.test(path));
  main.replaceChildren();
  if (!screen) {
    document.title = "Not found · VokeTag console";
    main.append(h("h1", { tabindex: -1 }, "Page not found"), h("p", {}, h("a", { href: home(), "data-link": true }, "Go to the start page")));
  } else if (!session.is(...screen.roles)) {
    document.title = "Not available · VokeTag console";
    main.append(h("h1", { tabindex: -1 }, "Not available for your role"), h("p", {}, h("a", { href: home(), "data-link": true }, "Go to the start page")));
  } else {
    document.title = `${screen.title} · VokeTag console`;
    await screen.view(main, screen.path.exec(path)?.groups ?? {});
  }
  (main.querySelector("h1") as HTMLElement | null)?.focus();
}

// Same-origin links marked data-link change the screen without a page load.
document.addEventListener("click", (event) => {
  const anchor = (event.target as Element).closest("a[data-link]") as HTMLAnchorElement | null;
  if (anchor && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
    event.preventDefault();
    navigate(anchor.getAttribute("href")!);
  }
});
addEventListener("popstate", () => void route());
session.onChange(renderChrome);
void route();
