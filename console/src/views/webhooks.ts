// Webhooks (admin, operator): register, list with deliveries, delete.
import { admin, factory } from "../api.js";
import { Role } from "../gen/voketag/common/v1/enums_pb.js";
import {
  DeliveryStateSchema,
  WebhookEvent,
  WebhookEventSchema,
  type Webhook,
} from "../gen/voketag/factory/v1/factory_service_pb.js";
import { session } from "../session.js";
import { confirmAction, done, errorBox, field, h, label, loading, notice, requestId, short, table, when } from "../ui.js";

export async function webhooksView(main: HTMLElement): Promise<void> {
  main.replaceChildren(h("h1", { tabindex: -1 }, "Webhooks"));
  const list = h("section", { "aria-labelledby": "hooks-title" });
  const secrets = h("div", {});
  const deliveries = h("section", { "aria-live": "polite" });

  async function load(): Promise<void> {
    loading(list);
    try {
      const reply = await factory.listWebhooks({ pageSize: 100 });
      done(
        list,
        h("h2", { id: "hooks-title" }, "Registered webhooks"),
        table<Webhook>(
          "Webhooks",
          [
            { label: "URL", cell: (w) => w.url },
            { label: "Events", cell: (w) => w.events.map((e) => label(WebhookEventSchema, e)).join(", ") },
            { label: "Description", cell: (w) => w.description || "—" },
            { label: "Created", cell: (w) => when(w.createdAt) },
            {
              label: "Actions",
              cell: (w) =>
                h(
                  "div",
                  { class: "actions" },
                  h("button", { type: "button", onclick: () => void showDeliveries(w), "aria-label": `Deliveries of ${w.url}` }, "Deliveries"),
                  confirmAction("Delete", `Delete the webhook to ${w.url}? Pending deliveries are cancelled.`, () => factory.deleteWebhook({ id: w.id }).then(() => void load()), {
                    "aria-label": `Delete ${w.url}`,
                  }),
                ),
            },
          ],
          reply.webhooks,
          "No webhooks registered.",
        ),
      );
    } catch (error) {
      done(list, errorBox(error, () => void load()));
    }
  }

  async function showDeliveries(hook: Webhook): Promise<void> {
    loading(deliveries);
    try {
      const reply = await factory.listWebhookDeliveries({ webhookId: hook.id, pageSize: 50 });
      done(
        deliveries,
        h("h2", {}, `Deliveries to ${hook.url}`),
        table(
          "Deliveries, newest first",
          [
            { label: "Event", cell: (d) => label(WebhookEventSchema, d.event) },
            { label: "Object", cell: (d) => short(d.objectId) },
            { label: "State", cell: (d) => label(DeliveryStateSchema, d.state) },
            { label: "Attempts", cell: (d) => d.attempts, numeric: true },
            { label: "Last status", cell: (d) => d.lastStatusCode || "—" },
            { label: "Last error", cell: (d) => d.lastError || "—" },
            { label: "Delivered", cell: (d) => when(d.deliveredAt) },
          ],
          reply.deliveries,
          "No deliveries yet.",
        ),
      );
    } catch (error) {
      done(deliveries, errorBox(error));
    }
  }

  const form = await createForm(secrets, () => void load());
  main.append(form, secrets, list, deliveries);
  void load();
}

async function createForm(secrets: HTMLElement, after: () => void): Promise<HTMLElement> {
  const factories = session.is(Role.ADMIN) ? (await admin.listFactories({ pageSize: 1000 })).factories : [];
  const scope = session.is(Role.ADMIN)
    ? h("select", { name: "factory", required: true }, h("option", { value: "" }, "Choose a factory"), ...factories.map((f) => h("option", { value: f.id }, f.name)))
    : null;
  const url = h("input", { type: "url", name: "url", required: true, placeholder: "https://mes.example.com/voketag" });
  const description = h("input", { name: "description", maxlength: 200 });
  const boxes = WebhookEventSchema.values
    .filter((v) => v.number !== WebhookEvent.UNSPECIFIED)
    .map((v) => ({ value: v.number, box: h("input", { type: "checkbox", name: "events", value: v.number, id: `event-${v.number}` }) }));
  const submit = h("button", { type: "submit" }, "Register webhook");
  const result = h("div", {});
  let id = requestId();
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "new-hook-title" },
    h("h2", { id: "new-hook-title" }, "Register a webhook"),
    scope ? field("Factory", scope) : null,
    field("URL", url),
    h("fieldset", {}, h("legend", {}, "Events"), ...boxes.map(({ value, box }) => h("div", { class: "check" }, box, h("label", { for: box.id }, label(WebhookEventSchema, value))))),
    field("Description", description),
    submit,
    result,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    factory
      .createWebhook({
        requestId: id,
        url: url.value,
        description: description.value,
        factoryId: scope?.value ?? "",
        events: boxes.filter((b) => b.box.checked).map((b) => b.value),
      })
      .then((r) => {
        id = requestId();
        form.reset();
        result.replaceChildren();
        secrets.replaceChildren(notice(`Signing secret (shown once): ${r.secret}`));
        after();
      })
      .catch((error: unknown) => result.replaceChildren(errorBox(error)))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}
