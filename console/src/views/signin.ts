import { Code, ConnectError } from "@connectrpc/connect";
import { describeError } from "../api.js";
import { navigate } from "../main.js";
import { session } from "../session.js";
import { done, errorMessage, field, h, notice } from "../ui.js";

/** Only a console path may be the target after sign-in: never another origin. */
function safeNext(next: string | undefined): string {
  return next && next.startsWith("/console/") && !next.startsWith("/console/signin") ? next : "/console/";
}

export function signInView(main: HTMLElement, params: Record<string, string>): void {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit" }, "Sign in");
  const message = h("div", { id: "signin-message" });
  const form = h(
    "form",
    { class: "card signin", "aria-describedby": "signin-message" },
    field("Email", email),
    field("Password", password),
    submit,
    message,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    message.replaceChildren(h("p", { class: "loading" }, "Signing in…"));
    session
      .signIn(email.value, password.value)
      .then(() => navigate(safeNext(params.next), true))
      .catch((error: unknown) => {
        const { message: text, retryAfterS } = describeError(error);
        const code = ConnectError.from(error).code;
        const shown =
          code === Code.Unauthenticated
            ? "Wrong email or password."
            : code === Code.ResourceExhausted
              ? `Too many failed attempts. Try again in ${retryAfterS ?? 60} seconds.`
              : text;
        message.replaceChildren(errorMessage(shown));
        submit.disabled = false;
        password.select();
      });
  });
  done(
    main,
    h("h1", { tabindex: -1 }, "Sign in"),
    params.expired ? notice("Your session has ended. Sign in again to continue where you were.") : null,
    form,
  );
  email.focus();
}
