// Passkeys (WebAuthn) for the login, step-up and security pages.
//
// The pages work without this script; only the ceremony itself needs it.
// It calls the site's JSON endpoints (same origin, the X-CSRFToken header
// from the CSRF cookie) and navigator.credentials, converting base64url
// with PublicKeyCredential.parse*OptionsFromJSON() and toJSON() where the
// browser has them.
"use strict";

(function () {
  const script = document.currentScript;
  const csrfCookie = (script && script.dataset.csrfCookie) || "csrftoken";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return; // no WebAuthn here: the buttons stay hidden
  }

  function readCookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
    return "";
  }

  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": readCookie(csrfCookie),
      },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (ignored) {
      data = {};
    }
    if (!response.ok) {
      const error = new Error(data.detail || "The request was refused.");
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // --- base64url, for browsers without the JSON helpers ---------------------

  function toBuffer(value) {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    const bytes = atob(padded);
    const buffer = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i += 1) buffer[i] = bytes.charCodeAt(i);
    return buffer.buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (const byte of bytes) text += String.fromCharCode(byte);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map((item) => ({ ...item, id: toBuffer(item.id) }));
  }

  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return {
      ...json,
      challenge: toBuffer(json.challenge),
      user: { ...json.user, id: toBuffer(json.user.id) },
      excludeCredentials: withIds(json.excludeCredentials),
    };
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return {
      ...json,
      challenge: toBuffer(json.challenge),
      allowCredentials: withIds(json.allowCredentials),
    };
  }

  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    const r = credential.response;
    const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(r.authenticatorData);
      response.signature = toBase64url(r.signature);
      if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  // --- What the user is told ------------------------------------------------

  function say(place, message) {
    const box = place && place.querySelector("[data-passkey-error]");
    if (!box) return;
    box.textContent = message;
    box.hidden = !message;
  }

  function explain(error) {
    if (error && error.name === "NotAllowedError") {
      return "The passkey was not used (it was cancelled or timed out). Try again.";
    }
    if (error && error.name === "InvalidStateError") {
      return "This device already has a passkey for your account.";
    }
    return (error && error.status && error.message) ||
      "That passkey could not be used. Try again, or use your password.";
  }

  // --- Logging in and confirming it's you --------------------------------------

  let conditional = null; // the pending autofill request, if any

  async function getAndSend(button, mediation, signal) {
    const options = await postJSON(button.dataset.optionsUrl);
    const credential = await navigator.credentials.get({
      publicKey: requestOptions(options.options),
      mediation,
      signal,
    });
    const answer = await postJSON(button.dataset.url, {
      ...credentialJSON(credential),
      next: button.dataset.next || "",
    });
    window.location.assign(answer.redirect || "/");
  }

  function startConditional(button) {
    const field = document.querySelector('input[autocomplete~="webauthn"]');
    if (!field || !PublicKeyCredential.isConditionalMediationAvailable) return;
    PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
      // Without the CSRF cookie (gone since the page loaded) the site would
      // refuse the options: leave the autofill alone, the button still works.
      if (!available || !readCookie(csrfCookie)) return;
      conditional = new AbortController();
      getAndSend(button, "conditional", conditional.signal).catch((error) => {
        if (error && error.name === "AbortError") return; // the button took over
        say(button.closest("[data-passkey-ceremony]"), explain(error));
      });
    }, () => {});
  }

  for (const button of document.querySelectorAll("[data-passkey-get]")) {
    const place = button.closest("[data-passkey-ceremony]");
    if (place) place.hidden = false;
    button.addEventListener("click", () => {
      if (conditional) {
        conditional.abort();
        conditional = null;
      }
      say(place, "");
      button.disabled = true;
      getAndSend(button, "optional").catch((error) => {
        button.disabled = false;
        say(place, explain(error));
      });
    });
    if ("conditional" in button.dataset) startConditional(button);
  }

  // --- Adding a passkey ------------------------------------------------------

  for (const form of document.querySelectorAll("form[data-passkey-register]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const submit = form.querySelector('button[type="submit"]');
      say(form, "");
      submit.disabled = true;
      (async () => {
        const options = await postJSON(form.dataset.optionsUrl);
        const credential = await navigator.credentials.create({
          publicKey: creationOptions(options.options),
        });
        await postJSON(form.dataset.url, {
          ...credentialJSON(credential),
          name: form.elements.name ? form.elements.name.value : "",
        });
        window.location.assign(form.dataset.doneUrl);
      })().catch((error) => {
        submit.disabled = false;
        if (error && error.status === 401) {
          // The login is no longer recent: the page asks to confirm it.
          window.location.reload();
          return;
        }
        say(form, explain(error));
      });
    });
  }
})();
