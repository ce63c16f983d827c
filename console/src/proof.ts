// The proof bundle of a product, by id: GetMerkleProof answers signed-in callers only, so a plain link
// (which carries no bearer token) cannot fetch it; the console fetches it with the user's token and
// hands the browser the JSON exactly as the REST API returns it.
import { restError, restFetch } from "./api.js";
import { errorMessage, h } from "./ui.js";

export function proofButton(productId: string, text = "Download the proof bundle", attrs: Record<string, string> = {}): HTMLElement {
  const box = h("span", { class: "proof" });
  const button = h("button", { type: "button", ...attrs }, text);
  button.addEventListener("click", () => {
    button.disabled = true;
    void restFetch(`/v1/merkle/proof/${encodeURIComponent(productId)}`)
      .then(async (reply) => {
        if (!reply.ok) {
          const { message, fields } = await restError(reply);
          box.replaceChildren(button, errorMessage(message, fields));
          return;
        }
        const url = URL.createObjectURL(await reply.blob());
        const save = h("a", { href: url, download: `proof-${productId}.json` }, "Save the proof bundle");
        box.replaceChildren(button, save);
        save.click();
      })
      .catch((error: unknown) => box.replaceChildren(button, errorMessage(String(error))))
      .finally(() => {
        button.disabled = false;
      });
  });
  box.append(button);
  return box;
}
