// Audit log: filters, entry details, and the hash-chain verification.
import { admin } from "../api.js";
import type { AuditLogEntry } from "../gen/voketag/admin/v1/admin_service_pb.js";
import { RoleSchema } from "../gen/voketag/common/v1/enums_pb.js";
import { dayStart, done, errorBox, errorMessage, field, h, hex, label, latestOnly, loading, notice, Pager, table, when } from "../ui.js";

export function auditView(main: HTMLElement): void {
  const actor = h("input", { name: "actor", maxlength: 64 });
  const action = h("input", { name: "action", maxlength: 200, placeholder: "voketag.factory.v1.FactoryService/CreateBatch" });
  const objectType = h("input", { name: "object_type", maxlength: 64 });
  const objectId = h("input", { name: "object_id", maxlength: 128 });
  const after = h("input", { type: "date", name: "after" });
  const before = h("input", { type: "date", name: "before" });
  const list = h("section", { "aria-label": "Entries" });
  const verdict = h("div", { id: "verify-result" });
  const pager = new Pager();
  const filters = h(
    "form",
    { class: "filters", "aria-label": "Filter entries" },
    field("Actor id", actor),
    field("Action", action),
    field("Object type", objectType),
    field("Object id", objectId),
    field("From", after),
    field("To", before),
    h("button", { type: "submit" }, "Filter"),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    pager.reset();
    void load();
  });

  const verify = h("button", { type: "button" }, "Verify the hash chain");
  verify.addEventListener("click", () => {
    verdict.replaceChildren(h("p", { class: "loading" }, "Recomputing the chain…"));
    admin
      .verifyAuditLog({})
      .then((v) =>
        verdict.replaceChildren(
          v.ok
            ? notice(`The chain is intact: ${v.entriesChecked} entries checked up to sequence ${v.latestSequence}.`)
            : errorMessage(`The chain breaks at sequence ${v.firstBadSequence}: ${v.problem}`),
        ),
      )
      .catch((error: unknown) => verdict.replaceChildren(errorBox(error)));
  });

  const fresh = latestOnly();
  async function load(): Promise<void> {
    const current = fresh();
    loading(list);
    try {
      const reply = await admin.listAuditLogs({
        pageSize: 25,
        pageToken: pager.token,
        actorId: actor.value.trim(),
        action: action.value.trim(),
        objectType: objectType.value.trim(),
        objectId: objectId.value.trim(),
        startTime: dayStart(after.value),
        endTime: dayStart(before.value, 1),
      });
      if (!current()) {
        return;
      }
      pager.next = reply.nextPageToken;
      done(
        list,
        table<AuditLogEntry>(
          "Audit log, newest first",
          [
            { label: "Seq", cell: (e) => e.sequence.toString(), numeric: true },
            { label: "Time", cell: (e) => when(e.createdAt) },
            { label: "Actor", cell: (e) => `${e.actorId} (${label(RoleSchema, e.actorRole)})` },
            { label: "Action", cell: (e) => e.action.split("/").pop() ?? e.action },
            { label: "Object", cell: (e) => `${e.objectType} ${e.objectId}` },
            { label: "Result", cell: (e) => (e.resultCode === 0 ? "OK" : `code ${e.resultCode}`) },
            {
              label: "Details",
              cell: (e) =>
                h(
                  "details",
                  {},
                  h("summary", {}, "Details"),
                  h(
                    "dl",
                    { class: "facts" },
                    ...(
                      [
                        ["Action", e.action],
                        ["Service", e.service],
                        ["Request id", e.requestId],
                        ["Peer", e.peer],
                        ["Factory", e.factoryId || "—"],
                        ["Hash", hex(e.hash)],
                        ["Previous hash", hex(e.prevHash)],
                        ...Object.entries(e.details),
                      ] as [string, string][]
                    ).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
                  ),
                ),
            },
          ],
          reply.entries,
          "No entries match these filters.",
        ),
        pager.controls(() => void load()),
      );
    } catch (error) {
      if (current()) {
        done(list, errorBox(error, () => void load()));
      }
    }
  }
  main.replaceChildren(h("h1", { tabindex: -1 }, "Audit log"), h("div", { class: "actions" }, verify), verdict, filters, list);
  void load();
}
