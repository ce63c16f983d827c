// Small DOM helpers shared by every screen: elements, tables, the loading/empty/error states, paging.
import type { DescEnum } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { describeError } from "./api.js";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/** An element with attributes (``on*`` keys become listeners; false/null/undefined are left out). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value === "function") {
      element.addEventListener(key.slice(2), value);
    } else if (value === true) {
      element.setAttribute(key, "");
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(key, String(value));
    }
  }
  element.append(...nodes(children));
  return element;
}

function nodes(children: Child[]): (Node | string)[] {
  return children
    .filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false)
    .map((c) => (typeof c === "number" ? String(c) : c));
}

/** "ANCHOR_STATE_CONFIRMING" -> "Confirming": the generated enum's own value names, for people. */
export function label(schema: DescEnum, value: number): string {
  const name = schema.value[value]?.localName ?? String(value);
  return name.charAt(0) + name.slice(1).toLowerCase().replaceAll("_", " ");
}

/** Options of a select over an enum; value 0 (UNSPECIFIED) becomes the "any" choice. */
export function enumOptions(schema: DescEnum, any = "Any", selected = 0): HTMLOptionElement[] {
  return schema.values.map((v) =>
    h("option", { value: v.number, selected: v.number === selected }, v.number === 0 ? any : label(schema, v.number)),
  );
}

export function when(ts: Timestamp | undefined): string {
  return ts ? timestampDate(ts).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—";
}

export function short(id: string): string {
  return id ? id.slice(0, 8) : "—";
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function link(href: string, text: string, attrs: Attrs = {}): HTMLAnchorElement {
  return h("a", { href, "data-link": true, ...attrs }, text);
}

export interface Column<T> {
  label: string;
  cell: (row: T) => Child;
  numeric?: boolean;
}

/** A data table with a caption; ``empty`` is shown instead when there are no rows. */
export function table<T>(caption: string, columns: Column<T>[], rows: T[], empty = "Nothing to show."): HTMLElement {
  if (rows.length === 0) {
    return h("p", { class: "empty" }, empty);
  }
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : null }, c.label)))),
      h(
        "tbody",
        {},
        ...rows.map((row) => h("tr", {}, ...columns.map((c) => h("td", { class: c.numeric ? "num" : null }, c.cell(row))))),
      ),
    ),
  );
}

export function loading(target: HTMLElement, what = "Loading…"): void {
  target.setAttribute("aria-busy", "true");
  target.replaceChildren(h("p", { class: "loading" }, what));
}

export function done(target: HTMLElement, ...children: Child[]): void {
  target.removeAttribute("aria-busy");
  target.replaceChildren(...nodes(children));
}

/** An error box naming the fields at fault, with a retry button when the action can be repeated. */
export function errorBox(error: unknown, retry?: () => void): HTMLElement {
  const { message, fields, retryAfterS } = describeError(error);
  return errorMessage(message, fields, retry, retryAfterS);
}

export function errorMessage(message: string, fields: string[] = [], retry?: () => void, retryAfterS?: number): HTMLElement {
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", {}, message),
    fields.length ? h("ul", {}, ...fields.map((f) => h("li", {}, f))) : null,
    retryAfterS !== undefined ? h("p", {}, `Try again in ${retryAfterS} s.`) : null,
    retry ? h("button", { type: "button", onclick: retry }, "Retry") : null,
  );
}

/** A destructive action behind a confirmation step: the first click asks, "Yes, …" acts, Cancel goes
 * back. ``attrs`` (e.g. an aria-label naming the object) go on the first button. */
export function confirmAction(text: string, question: string, act: () => Promise<unknown>, attrs: Attrs = {}): HTMLElement {
  const box = h("span", { class: "confirm" });
  const ask = h("button", { type: "button", class: "danger", ...attrs }, text);
  const yes = h("button", { type: "button", class: "danger" }, `Yes, ${text.toLowerCase()}`);
  const no = h("button", { type: "button" }, "Cancel");
  ask.addEventListener("click", () => {
    box.replaceChildren(h("span", { role: "group", "aria-label": question }, h("span", {}, question), yes, no));
    no.focus();
  });
  no.addEventListener("click", () => {
    box.replaceChildren(ask);
    ask.focus();
  });
  yes.addEventListener("click", () => {
    yes.disabled = true;
    act().catch((error: unknown) => {
      yes.disabled = false;
      box.replaceChildren(ask, errorBox(error));
    });
  });
  box.append(ask);
  return box;
}

export function notice(text: string): HTMLElement {
  return h("p", { class: "notice", role: "status" }, text);
}

export function announce(text: string): void {
  const status = document.getElementById("status");
  if (status) {
    status.textContent = text;
  }
}

/** A labelled form field; the label's ``for`` ties it to the control. */
export function field(text: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  control.id ||= `f-${Math.random().toString(36).slice(2, 10)}`;
  const hintEl = hint ? h("small", { id: `${control.id}-hint` }, hint) : null;
  if (hintEl) {
    control.setAttribute("aria-describedby", hintEl.id);
  }
  return h("div", { class: "field" }, h("label", { for: control.id }, text), control, hintEl);
}

/** Cursor paging over a List RPC: remembers the tokens of the pages behind, so Previous works. */
export class Pager {
  private tokens: string[] = [""];
  private index = 0;
  next = "";

  get token(): string {
    return this.tokens[this.index];
  }

  reset(): void {
    this.tokens = [""];
    this.index = 0;
  }

  controls(reload: () => void): HTMLElement {
    return h(
      "nav",
      { class: "pager", "aria-label": "Pages" },
      h("button", { type: "button", disabled: this.index === 0, onclick: () => { this.index -= 1; reload(); } }, "Previous"),
      h("span", {}, `Page ${this.index + 1}`),
      h("button", { type: "button", disabled: !this.next, onclick: () => { this.tokens[this.index + 1] = this.next; this.index += 1; reload(); } }, "Next"),
    );
  }
}

/** A date input's value as a Timestamp at 00:00 UTC (plus ``days``), or undefined when empty. */
export function dayStart(value: string, days = 0): Timestamp | undefined {
  if (!value) {
    return undefined;
  }
  return timestampFromMs(Date.parse(`${value}T00:00:00Z`) + days * 86_400_000);
}

/** Only the newest of overlapping loads may draw: a reply that arrives after a newer request was
 * made (a filter changed while the previous page was still loading) is dropped. */
export function latestOnly(): () => () => boolean {
  let newest = 0;
  return () => {
    const mine = ++newest;
    return () => mine === newest;
  };
}

export function requestId(): string {
  return crypto.randomUUID();
}
