// Anchors: every batch's anchoring with its transaction, a retry for failed ones (admin) and the
// on-chain verification result.
import { anchor } from "../api.js";
import type { AnchorRecord } from "../gen/voketag/anchor/v1/anchor_service_pb.js";
import { AnchorState, AnchorStateSchema, Role } from "../gen/voketag/common/v1/enums_pb.js";
import { session } from "../session.js";
import { done, enumOptions, errorBox, errorMessage, field, h, label, latestOnly, link, loading, notice, Pager, short, table, when } from "../ui.js";

export function anchorsView(main: HTMLElement): void {
  const state = h("select", { name: "state" }, ...enumOptions(AnchorStateSchema));
  const list = h("section", { "aria-label": "Anchors" });
  const result = h("div", { id: "anchor-result" });
  const pager = new Pager();
  const filters = h("form", { class: "filters", "aria-label": "Filter anchors" }, field("State", state), h("button", { type: "submit" }, "Filter"));
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    pager.reset();
    void load();
  });

  function verify(batchId: string): void {
    result.replaceChildren(h("p", { class: "loading" }, "Checking the chain…"));
    anchor
      .verifyAnchor({ batchId })
      .then((v) =>
        result.replaceChildren(
          v.ok ? notice(`Batch ${short(batchId)}: on-chain check passed. ${v.explanation}`) : errorMessage(`Batch ${short(batchId)}: on-chain check failed. ${v.explanation}`),
        ),
      )
      .catch((error: unknown) => result.replaceChildren(errorBox(error)));
  }

  function retry(batchId: string): void {
    anchor
      .retryAnchor({ batchId })
      .then(() => {
        result.replaceChildren(notice(`Batch ${short(batchId)}: anchoring requested again.`));
        void load();
      })
      .catch((error: unknown) => result.replaceChildren(errorBox(error)));
  }

  const fresh = latestOnly();
  async function load(): Promise<void> {
    const current = fresh();
    loading(list);
    try {
      const reply = await anchor.listAnchors({ pageSize: 25, pageToken: pager.token, state: Number(state.value) });
      if (!current()) {
        return;
      }
      pager.next = reply.nextPageToken;
      const batchLinks = session.is(Role.ADMIN, Role.OPERATOR);
      done(
        list,
        table<AnchorRecord>(
          "Anchoring of each batch",
          [
            { label: "Batch", cell: (a) => (batchLinks ? link(`/console/batches/${a.batchId}`, short(a.batchId), { "aria-label": `Batch ${short(a.batchId)}` }) : short(a.batchId)) },
            { label: "State", cell: (a) => label(AnchorStateSchema, a.state) },
            { label: "Transaction", cell: (a) => (a.txHash ? h("code", {}, `${a.txHash.slice(0, 12)}…`) : "—") },
            { label: "Block", cell: (a) => (a.blockNumber ? a.blockNumber.toString() : "—"), numeric: true },
            { label: "Confirmations", cell: (a) => `${a.confirmations}/${a.requiredConfirmations}`, numeric: true },
            { label: "Attempts", cell: (a) => a.attempts, numeric: true },
            { label: "Last error", cell: (a) => a.lastError || "—" },
            { label: "Updated", cell: (a) => when(a.updatedAt) },
            {
              label: "Actions",
              cell: (a) =>
                h(
                  "div",
                  { class: "actions" },
                  h("button", { type: "button", onclick: () => verify(a.batchId), "aria-label": `Verify batch ${short(a.batchId)} on chain` }, "Verify"),
                  a.state === AnchorState.FAILED && session.is(Role.ADMIN)
                    ? h("button", { type: "button", onclick: () => retry(a.batchId), "aria-label": `Retry anchoring batch ${short(a.batchId)}` }, "Retry")
                    : null,
                ),
            },
          ],
          reply.anchors,
          "No anchoring records match.",
        ),
        pager.controls(() => void load()),
      );
    } catch (error) {
      if (current()) {
        done(list, errorBox(error, () => void load()));
      }
    }
  }
  main.replaceChildren(h("h1", { tabindex: -1 }, "Anchors"), filters, result, list);
  void load();
}
