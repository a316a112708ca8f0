// The browser side of the ceremonies, served by the package (no CDN, no bundler): base64url in and out
// of navigator.credentials. Elements opt in with `data-passkey` ("login", "second", "register" or "remove") and
// carry their URLs, CSRF token and options in data attributes; they stay hidden where the browser has
// no WebAuthn. Answers are JSON: `{ redirect }` on success, `{ error }` otherwise.
export const PASSKEY_SCRIPT = String.raw`(() => {
  "use strict";
  const fromB64 = (text) => {
    const base = text.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(base + "===".slice((base.length + 3) % 4));
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0)).buffer;
  };
  const toB64 = (buffer) => {
    const bytes = new Uint8Array(buffer);
    let bin = "";
    for (const byte of bytes) bin += String.fromCharCode(byte);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const descriptors = (list) => (list || []).map((each) => ({ ...each, id: fromB64(each.id) }));
  const creationOptions = (o) => ({ ...o, challenge: fromB64(o.challenge), user: { ...o.user, id: fromB64(o.user.id) }, excludeCredentials: descriptors(o.excludeCredentials) });
  const requestOptions = (o) => ({ ...o, challenge: fromB64(o.challenge), allowCredentials: descriptors(o.allowCredentials) });
  const asJson = (credential) => {
    const r = credential.response;
    const response = { clientDataJSON: toB64(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    }
    if (r.authenticatorData) response.authenticatorData = toB64(r.authenticatorData);
    if (r.signature) response.signature = toB64(r.signature);
    if (r.userHandle) response.userHandle = toB64(r.userHandle);
    return { id: credential.id, rawId: toB64(credential.rawId), type: credential.type, response, clientExtensionResults: credential.getClientExtensionResults(), authenticatorAttachment: credential.authenticatorAttachment || undefined };
  };
  const post = async (el, url, body) => {
    const answer = await fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": el.dataset.csrf || "" }, body: JSON.stringify(body) });
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(data.error || data.detail || "The server refused the passkey (" + answer.status + ").");
    return data;
  };
  const show = (el, text) => {
    const out = el.querySelector("[data-passkey-message]");
    if (out) out.textContent = text;
  };
  const ceremonies = {
    async login(el) {
      const options = await post(el, el.dataset.optionsUrl, {});
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      return post(el, el.dataset.verifyUrl, { response: asJson(credential), next: el.dataset.next || "" });
    },
    async second(el) {
      const options = JSON.parse(el.dataset.options);
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      return post(el, el.dataset.verifyUrl, { response: asJson(credential), next: el.dataset.next || "" });
    },
    async remove(el) {
      const options = await post(el, el.dataset.optionsUrl, {});
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      return post(el, el.dataset.verifyUrl, { response: asJson(credential) });
    },
    async register(el) {
      const name = el.querySelector("[name=passkey_name]");
      const options = await post(el, el.dataset.optionsUrl, {});
      const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
      return post(el, el.dataset.verifyUrl, { response: asJson(credential), name: name ? name.value : "" });
    },
  };
  const supported = typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
  for (const el of document.querySelectorAll("[data-passkey]")) {
    if (!supported) continue;
    el.hidden = false;
    const run = ceremonies[el.dataset.passkey];
    if (!run) continue;
    el.addEventListener("submit", async (event) => {
      event.preventDefault();
      show(el, "Waiting for the passkey…");
      try {
        const done = await run(el);
        show(el, "Done.");
        window.location.assign(done.redirect || window.location.href);
      } catch (error) {
        show(el, error && error.name === "NotAllowedError" ? "The passkey was not used." : String(error && error.message ? error.message : error));
      }
    });
  }
})();
`;
