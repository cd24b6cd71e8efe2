// Small pieces the offline pages share: GOV.UK markup built safely (text, never HTML from
// data), the service worker's registration, opening the tablet's copy, and the messages shown
// above a page.
import * as store from "./db.js";

export const KINDS = {
  inspection: { name: "Inspection", page: "/offline/inspect" },
  welfare_visit: { name: "Welfare visit", page: "/offline/visit" },
};

// Build an element: el("p", {class: "govuk-body"}, "text", childElement, ...).
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) {
      continue;
    }
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function hidden(text) {
  return el("span", { class: "govuk-visually-hidden" }, text);
}

// "6 December 2026 at 9:12am" in London time, as the rest of the service writes times.
export function when(iso) {
  if (!iso) {
    return "";
  }
  const date = new Date(iso);
  const day = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/London",
    day: "numeric",
    month: "long",
    year: "numeric",
  }).format(date);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      hour: "numeric",
      minute: "2-digit",
      hour12: true,
      timeZoneName: "short",
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const zone = parts.timeZoneName === "GMT" || parts.timeZoneName === "UTC" ? "GMT" : "BST";
  const time = `${parts.hour}:${parts.minute}${(parts.dayPeriod || "").toLowerCase()} ${zone}`;
  return `${day} at ${time}`;
}

export function longDate(isoDate) {
  if (!isoDate) {
    return "";
  }
  const [y, m, d] = isoDate.slice(0, 10).split("-").map(Number);
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: "UTC",
    day: "numeric",
    month: "long",
    year: "numeric",
  }).format(new Date(Date.UTC(y, m - 1, d)));
}

// A GOV.UK notification banner at the top of the page (success, or plain for information).
export function banner(text, { success = false, title = null, focus = false } = {}) {
  const area = document.getElementById("offline-messages");
  if (!area) {
    return;
  }
  const id = `offline-banner-${area.childElementCount + 1}`;
  const box = el(
    "div",
    {
      class: `govuk-notification-banner${success ? " govuk-notification-banner--success" : ""}`,
      role: success ? "alert" : "region",
      "aria-labelledby": `${id}-title`,
      tabindex: focus ? "-1" : null,
    },
    el(
      "div",
      { class: "govuk-notification-banner__header" },
      el(
        "h2",
        { class: "govuk-notification-banner__title", id: `${id}-title` },
        title || (success ? "Done" : "Important"),
      ),
    ),
    el(
      "div",
      { class: "govuk-notification-banner__content" },
      el("p", { class: "govuk-notification-banner__heading" }, text),
    ),
  );
  area.replaceChildren(box);
  if (focus) {
    box.focus();
  }
}

export function loaded() {
  document.getElementById("offline-loading")?.remove();
}

// The service worker keeps the shells and static files for a reload without a signal.
export async function registerWorker() {
  if (!("serviceWorker" in navigator)) {
    return null;
  }
  try {
    return await navigator.serviceWorker.register("/offline/sw.js", { scope: "/offline/" });
  } catch {
    return null; // no worker (signed out, private window): pages still work while online
  }
}

// The tablet's key and session for a page's start, or null once the page has said why there is
// none (signed out; anything else is left to `otherwise`).
export async function openSession(otherwise = () => {}) {
  try {
    return await store.session({ refresh: navigator.onLine });
  } catch (error) {
    loaded();
    if (error instanceof store.SignedOut) {
      signedOutMessage();
    } else {
      otherwise(error);
    }
    return null;
  }
}

// Nothing is kept on this tablet: the offline grant ended, or there never was one.
export function signedOutMessage() {
  banner(
    "Nothing is kept on this tablet for working offline. Sign in, then take premises offline again.",
    { title: "Signed out" },
  );
  document
    .getElementById("offline-messages")
    ?.append(
      el("p", { class: "govuk-body" }, el("a", { class: "govuk-link", href: "/sign-in?next=/offline/" }, "Sign in")),
    );
}

// The web session ended (it idled out) but what is on this tablet is kept: sign in to send it.
export function signInAgainMessage() {
  banner("Sign in again to send what is saved on this tablet. Nothing saved here is lost.", {
    title: "Sign in again",
  });
  document
    .getElementById("offline-messages")
    ?.append(
      el(
        "p",
        { class: "govuk-body" },
        el("a", { class: "govuk-link", href: "/sign-in?next=/offline/" }, "Sign in again"),
      ),
    );
}

// A new key could not read what an earlier, ended offline grant left here, so it was removed.
export function replacedMessage() {
  banner(
    "What was kept on this tablet from an earlier sign-in has been removed: that offline working had ended, so it could no longer be read or sent. Take premises offline again.",
    { title: "Important" },
  );
}
