// On every page (base.html): what the tablet keeps for offline working is cleared as soon as a
// page is shown signed out; signing out warns first when records have not been sent; and the
// premises page's "Take offline" button keeps that premises on this tablet.
import * as store from "./db.js";
import { el, registerWorker } from "./ui.js";

const me = document.querySelector("script[data-app-device]");
const signedIn = me?.dataset.signedIn === "yes";
// Who the page is drawn for (not on the shells the service worker keeps, which name no one).
const userId = signedIn ? me?.dataset.userId || null : null;

// A signed-in page: this browser now belongs to this user. What another user kept here (their
// session idled out on a shared browser) is cleared before anything could show it.
if (userId) {
  store.keepOnlyFor(userId).catch(() => null);
}

async function known() {
  // Whether this browser has ever kept anything for offline working (without creating it).
  if (!indexedDB.databases) {
    return true;
  }
  const names = await indexedDB.databases();
  return names.some((d) => d.name === store.DB_NAME);
}

// The page shown after signing out (the sign-in page with "You have signed out."): clear the
// tablet, as the sign-out answer's Clear-Site-Data header also does. A sign-in page shown
// because the session idled out clears nothing: what is saved is sent after signing in again.
const justSignedOut =
  !signedIn &&
  [...document.querySelectorAll(".govuk-notification-banner--success")].some((b) =>
    b.textContent.includes("You have signed out."),
  );
if (justSignedOut) {
  store.forgetSeenUser();
  known().then((yes) => (yes ? store.clearDevice() : null));
}

// --- Sign-out: warn when records have not been sent, then clear the tablet first -----------

for (const form of document.querySelectorAll('form[action$="/sign-out"]')) {
  form.addEventListener("submit", async (event) => {
    if (form.dataset.cleared === "yes") {
      return;
    }
    event.preventDefault();
    const unsent = form.dataset.warned === "yes" ? 0 : await store.unsentCount().catch(() => 0);
    if (unsent > 0) {
      form.dataset.warned = "yes";
      warn(form, unsent);
      return;
    }
    await store.clearDevice().catch(() => null);
    form.dataset.cleared = "yes";
    form.submit();
  });
}

function warn(form, unsent) {
  const main = document.querySelector("main");
  document.getElementById("offline-sign-out-warning")?.remove();
  const records = unsent === 1 ? "1 record" : `${unsent} records`;
  const box = el(
    "div",
    { class: "govuk-error-summary", id: "offline-sign-out-warning", tabindex: "-1" },
    el(
      "div",
      { role: "alert" },
      el("h2", { class: "govuk-error-summary__title" }, "You have records that have not been sent"),
      el(
        "div",
        { class: "govuk-error-summary__body" },
        el(
          "p",
          { class: "govuk-body" },
          `${records} saved on this tablet ${unsent === 1 ? "has" : "have"} not been sent. ` +
            "Signing out removes everything kept on this tablet, unsent records too.",
        ),
        el(
          "div",
          { class: "govuk-button-group" },
          el("a", { class: "govuk-button", href: "/offline/" }, "Send them first"),
          el(
            "button",
            {
              type: "button",
              class: "govuk-button govuk-button--warning",
              onclick: () => form.requestSubmit(),
            },
            "Sign out anyway",
          ),
        ),
      ),
    ),
  );
  main?.prepend(box);
  box.focus();
}

// --- "Take offline" on the premises page --------------------------------------------------

for (const button of document.querySelectorAll("[data-offline-take]")) {
  const status = document.getElementById(button.getAttribute("aria-controls") || "");
  button.classList.remove("govuk-!-display-none");
  button.addEventListener("click", async () => {
    const id = Number(button.dataset.offlineTake);
    button.disabled = true;
    const say = (...parts) => status?.replaceChildren(...parts);
    say("Taking this premises offline…");
    try {
      registerWorker();
      const session = await store.session();
      if (session.signedOut) {
        say("Your session has ended. Sign in again to take premises offline.");
        return;
      }
      const response = await fetch(`/offline/api/premises/${id}`, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (response.status === 401) {
        say("Your session has ended. Sign in again to take premises offline.");
        return;
      }
      if (!response.ok) {
        say("This premises could not be taken offline. Try again.");
        return;
      }
      const pkg = await response.json();
      await store.putPremises(session.key, pkg);
      say(
        "Taken offline: this premises is on this tablet. ",
        el("a", { class: "govuk-link", href: "/offline/" }, "Working offline"),
      );
    } catch (error) {
      say(
        error instanceof store.SignedOut
          ? "You have been signed out. Sign in again to take premises offline."
          : "There is no signal, so this premises could not be taken offline. Try again when you are online.",
      );
    } finally {
      button.disabled = false;
    }
  });
}
