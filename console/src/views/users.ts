// Users and service accounts (admin): create, change role and factory, deactivate, reset password,
// and service-account credentials. One-time secrets are shown once, with a copy button.
import { admin } from "../api.js";
import type { Factory, ServiceAccount, User } from "../gen/voketag/admin/v1/admin_service_pb.js";
import { Role, RoleSchema } from "../gen/voketag/common/v1/enums_pb.js";
import { session } from "../session.js";
import { announce, confirmAction, done, errorBox, field, h, label, loading, Pager, requestId, short, table, when } from "../ui.js";

const USER_ROLES = [Role.ADMIN, Role.AUDITOR, Role.OPERATOR];

/** A one-time secret: shown once, copyable, never stored by the console. */
function secretBox(title: string, secret: string): HTMLElement {
  const input = h("input", { readonly: true, value: secret, class: "secret", "aria-label": title });
  return h(
    "div",
    { class: "notice", role: "status" },
    h("p", {}, `${title} — shown once; copy it now and hand it over out of band.`),
    input,
    h("button", { type: "button", onclick: () => void navigator.clipboard.writeText(secret).then(() => announce("Copied")) }, "Copy"),
  );
}

function roleSelect(selected: Role = Role.AUDITOR): HTMLSelectElement {
  return h("select", { name: "role" }, ...USER_ROLES.map((r) => h("option", { value: r, selected: r === selected }, label(RoleSchema, r))));
}

function factorySelect(factories: Factory[], selected = ""): HTMLSelectElement {
  return h(
    "select",
    { name: "factory" },
    h("option", { value: "" }, "None (admins and auditors)"),
    ...factories.map((f) => h("option", { value: f.id, selected: f.id === selected }, `${f.name} (${f.code})`)),
  );
}

export async function usersView(main: HTMLElement): Promise<void> {
  main.replaceChildren(h("h1", { tabindex: -1 }, "Users and service accounts"));
  const body = h("div", {});
  main.append(body);
  loading(body);
  let factories: Factory[];
  try {
    factories = (await admin.listFactories({ pageSize: 1000 })).factories;
  } catch (error) {
    done(body, errorBox(error, () => void usersView(main)));
    return;
  }
  const names = new Map(factories.map((f) => [f.id, f.name]));
  const users = h("section", { "aria-labelledby": "users-title" });
  const accounts = h("section", { "aria-labelledby": "accounts-title" });
  const secrets = h("div", { id: "secrets" });
  const pager = new Pager();

  async function loadUsers(): Promise<void> {
    loading(users);
    try {
      const reply = await admin.listUsers({ pageSize: 50, pageToken: pager.token });
      pager.next = reply.nextPageToken;
      done(
        users,
        h("h2", { id: "users-title" }, "Users"),
        table<User>(
          "Users by email",
          [
            { label: "Email", cell: (u) => u.email },
            { label: "Name", cell: (u) => u.displayName },
            { label: "Role", cell: (u) => label(RoleSchema, u.role) },
            { label: "Factory", cell: (u) => names.get(u.factoryId) ?? "—" },
            { label: "Active", cell: (u) => (u.active ? "Yes" : "No") },
            { label: "Last sign-in", cell: (u) => when(u.lastLoginAt) },
            { label: "Actions", cell: (u) => (u.id === session.user?.id ? "(you)" : userActions(u)) },
          ],
          reply.users,
          "No users yet.",
        ),
        pager.controls(() => void loadUsers()),
      );
    } catch (error) {
      done(users, errorBox(error, () => void loadUsers()));
    }
  }

  function userActions(user: User): HTMLElement {
    const role = roleSelect(user.role);
    const scope = factorySelect(factories, user.factoryId);
    const result = h("div", {});
    const form = h("form", { class: "inline" }, field(`Role of ${user.email}`, role), field(`Factory of ${user.email}`, scope), h("button", { type: "submit" }, "Save"), result);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      admin
        .updateUser({ user: { id: user.id, role: Number(role.value), factoryId: scope.value }, updateMask: { paths: ["role", "factory_id"] } })
        .then(() => void loadUsers())
        .catch((error: unknown) => result.replaceChildren(errorBox(error)));
    });
    return h(
      "details",
      { class: "action" },
      h("summary", {}, "Manage"),
      form,
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            onclick: () =>
              void admin
                .resetPassword({ id: user.id })
                .then((r) => secrets.prepend(secretBox(`Password reset token for ${user.email}`, r.resetToken)))
                .catch((error: unknown) => result.replaceChildren(errorBox(error))),
          },
          "Reset password",
        ),
        user.active
          ? confirmAction(
              "Deactivate",
              `Deactivate ${user.email}? Their sessions end at once.`,
              () => admin.deleteUser({ id: user.id }).then(() => void loadUsers()),
            )
          : h(
              "button",
              {
                type: "button",
                onclick: () =>
                  void admin
                    .updateUser({ user: { id: user.id, active: true }, updateMask: { paths: ["active"] } })
                    .then(() => void loadUsers(), (error: unknown) => result.replaceChildren(errorBox(error))),
              },
              "Reactivate",
            ),
      ),
    );
  }

  async function loadAccounts(): Promise<void> {
    loading(accounts);
    try {
      const reply = await admin.listServiceAccounts({ pageSize: 100, includeRevoked: true });
      done(
        accounts,
        h("h2", { id: "accounts-title" }, "Service accounts"),
        table<ServiceAccount>(
          "Service accounts, newest first",
          [
            { label: "Name", cell: (a) => a.name },
            { label: "Factory", cell: (a) => names.get(a.factoryId) ?? short(a.factoryId) },
            { label: "Client id", cell: (a) => h("code", {}, a.clientId) },
            { label: "Secret", cell: (a) => `…${a.secretHint}` },
            { label: "Active", cell: (a) => (a.active ? "Yes" : `Revoked ${when(a.revokedAt)}`) },
            { label: "Last used", cell: (a) => when(a.lastUsedAt) },
            {
              label: "Actions",
              cell: (a) =>
                a.active
                  ? confirmAction(
                      "Revoke",
                      `Revoke ${a.name}? Its credentials stop working at once.`,
                      () => admin.revokeServiceAccount({ id: a.id }).then(() => void loadAccounts()),
                      { "aria-label": `Revoke ${a.name}` },
                    )
                  : "—",
            },
          ],
          reply.serviceAccounts,
          "No service accounts yet.",
        ),
      );
    } catch (error) {
      done(accounts, errorBox(error, () => void loadAccounts()));
    }
  }

  done(body, h("div", { class: "two" }, createUserForm(factories, secrets, () => void loadUsers()), createAccountForm(factories, secrets, () => void loadAccounts())), secrets, users, accounts);
  void loadUsers();
  void loadAccounts();
}

function createUserForm(factories: Factory[], secrets: HTMLElement, after: () => void): HTMLElement {
  const email = h("input", { type: "email", name: "email", required: true, maxlength: 254 });
  const name = h("input", { name: "display_name", required: true, maxlength: 200 });
  const role = roleSelect();
  const scope = factorySelect(factories);
  const submit = h("button", { type: "submit" }, "Create user");
  const result = h("div", {});
  let id = requestId();
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "new-user-title" },
    h("h2", { id: "new-user-title" }, "New user"),
    field("Email", email),
    field("Display name", name),
    field("Role", role),
    field("Factory", scope, "Required for operators, empty for other roles"),
    submit,
    result,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    // No password: the server answers with a one-time reset link for the new user to set one.
    admin
      .createUser({ requestId: id, email: email.value, displayName: name.value, role: Number(role.value), factoryId: scope.value })
      .then((r) => {
        id = requestId();
        form.reset();
        result.replaceChildren();
        secrets.prepend(secretBox(`Password set-up token for ${r.user?.email}`, r.passwordResetToken));
        after();
      })
      .catch((error: unknown) => result.replaceChildren(errorBox(error)))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

function createAccountForm(factories: Factory[], secrets: HTMLElement, after: () => void): HTMLElement {
  const name = h("input", { name: "name", required: true, maxlength: 100 });
  const scope = h("select", { name: "factory", required: true }, h("option", { value: "" }, "Choose a factory"), ...factories.map((f) => h("option", { value: f.id }, f.name)));
  const description = h("input", { name: "description", maxlength: 500 });
  const submit = h("button", { type: "submit" }, "Create service account");
  const result = h("div", {});
  let id = requestId();
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "new-account-title" },
    h("h2", { id: "new-account-title" }, "New service account"),
    field("Name", name),
    field("Factory", scope),
    field("Description", description),
    submit,
    result,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    admin
      .createServiceAccount({ requestId: id, name: name.value, factoryId: scope.value, description: description.value })
      .then((r) => {
        id = requestId();
        form.reset();
        result.replaceChildren();
        secrets.prepend(secretBox(`Client secret of ${r.serviceAccount?.clientId}`, r.clientSecret));
        after();
      })
      .catch((error: unknown) => result.replaceChildren(errorBox(error)))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}
