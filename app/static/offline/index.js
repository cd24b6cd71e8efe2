// "Working offline": what is on this tablet, by state, and sending it.
import * as store from "./db.js";
import { sendAll } from "./sync.js";
import {
  KINDS,
  banner,
  el,
  hidden,
  loaded,
  registerWorker,
  replacedMessage,
  signInAgainMessage,
  signedOutMessage,
  when,
} from "./ui.js";

const recordsArea = document.getElementById("offline-records");
const premisesArea = document.getElementById("offline-premises");
const sendButton = document.getElementById("offline-send-now");
const connection = document.getElementById("offline-connection");

const ORDER = ["saved", "refused", "conflict", "sent"];
const TAGS = {
  saved: "govuk-tag--yellow",
  refused: "govuk-tag--red",
  conflict: "govuk-tag--orange",
  sent: "govuk-tag--green",
};

let key = null;

function showConnection() {
  connection.textContent = navigator.onLine
    ? "This tablet is online: records are sent as soon as they are saved."
    : "This tablet is offline: records are saved here and sent when the signal returns.";
}

function recordRow(record) {
  const kind = KINDS[record.kind] || { name: "Record", page: "/offline/" };
  const rows = [
    el(
      "div",
      { class: "govuk-summary-list__row" },
      el("dt", { class: "govuk-summary-list__key" }, "State"),
      el(
        "dd",
        { class: "govuk-summary-list__value" },
        el("strong", { class: `govuk-tag ${TAGS[record.state] || ""}` }, store.STATES[record.state]),
      ),
    ),
    el(
      "div",
      { class: "govuk-summary-list__row" },
      el("dt", { class: "govuk-summary-list__key" }, "Saved"),
      el("dd", { class: "govuk-summary-list__value" }, when(record.savedAt)),
    ),
  ];
  const actions = [];
  if (record.state === "sent" && record.nextUrl) {
    rows.push(
      el(
        "div",
        { class: "govuk-summary-list__row" },
        el("dt", { class: "govuk-summary-list__key" }, "Still to do"),
        el(
          "dd",
          { class: "govuk-summary-list__value" },
          el("a", { class: "govuk-link", href: record.nextUrl }, "Add the referral records", hidden(` for the visit to ${record.premisesName}`)),
        ),
      ),
    );
  }
  if (record.state === "sent" && record.url) {
    actions.push(el("a", { class: "govuk-link", href: record.url }, "Open the record", hidden(` of ${record.premisesName}`)));
    actions.push(
      el(
        "button",
        { type: "button", class: "govuk-button govuk-button--secondary", onclick: () => forget(record) },
        "Remove from this tablet",
        hidden(` the ${kind.name.toLowerCase()} at ${record.premisesName}`),
      ),
    );
  }
  if (record.state === "refused") {
    const messages = Object.values(record.errors || {}).flat();
    rows.push(
      el(
        "div",
        { class: "govuk-summary-list__row" },
        el("dt", { class: "govuk-summary-list__key" }, "What to correct"),
        el("dd", { class: "govuk-summary-list__value" }, el("ul", { class: "govuk-list" }, messages.map((m) => el("li", {}, m)))),
      ),
    );
    actions.push(
      el(
        "a",
        {
          class: "govuk-button",
          href: `${kind.page}?id=${record.premisesId}&record=${encodeURIComponent(record.id)}`,
        },
        "Correct it",
        hidden(` the ${kind.name.toLowerCase()} at ${record.premisesName}`),
      ),
    );
  }
  if (record.state === "conflict") {
    rows.push(
      el(
        "div",
        { class: "govuk-summary-list__row" },
        el("dt", { class: "govuk-summary-list__key" }, "Changed on the server"),
        el(
          "dd",
          { class: "govuk-summary-list__value" },
          el("ul", { class: "govuk-list govuk-list--bullet" }, (record.changes || []).map((c) => el("li", {}, c))),
          el(
            "p",
            { class: "govuk-body" },
            "Nothing on the server has been changed. Send anyway to add this record beside the change, or discard it.",
          ),
        ),
      ),
    );
    actions.push(
      el(
        "button",
        { type: "button", class: "govuk-button", onclick: () => sendAnyway(record) },
        "Send anyway",
        hidden(` the ${kind.name.toLowerCase()} at ${record.premisesName}`),
      ),
    );
  }
  if (record.state !== "sent") {
    actions.push(
      el(
        "button",
        { type: "button", class: "govuk-button govuk-button--warning", onclick: () => discard(record) },
        "Discard",
        hidden(` the ${kind.name.toLowerCase()} at ${record.premisesName}`),
      ),
    );
  }
  return el(
    "div",
    { class: "govuk-summary-card", "data-record": record.id, "data-state": record.state },
    el(
      "div",
      { class: "govuk-summary-card__title-wrapper" },
      el("h4", { class: "govuk-summary-card__title" }, `${kind.name} at ${record.premisesName}`),
    ),
    el(
      "div",
      { class: "govuk-summary-card__content" },
      el("dl", { class: "govuk-summary-list" }, rows),
      actions.length ? el("div", { class: "govuk-button-group" }, actions) : null,
    ),
  );
}

async function render() {
  const records = await store.allRecords(key);
  const groups = ORDER.map((state) => [state, records.filter((r) => r.state === state)]).filter(
    ([, list]) => list.length,
  );
  recordsArea.replaceChildren(
    ...(groups.length
      ? groups.flatMap(([state, list]) => [
          el("h3", { class: "govuk-heading-s" }, `${store.STATES[state]} (${list.length})`),
          ...list.map(recordRow),
        ])
      : [el("p", { class: "govuk-body" }, "No records are saved on this tablet.")]),
  );
  sendButton.classList.toggle("govuk-!-display-none", !records.some((r) => r.state === "saved"));

  const premises = await store.allPremises(key);
  premisesArea.replaceChildren(
    premises.length
      ? el(
          "ul",
          { class: "govuk-list" },
          premises.map((p) =>
            el(
              "li",
              {},
              el("a", { class: "govuk-link", href: `/offline/premises?id=${p.premises_id}` }, p.summary?.name || `Premises ${p.premises_id}`),
              ` (taken offline ${when(p.taken_at)}) `,
              el(
                "button",
                {
                  type: "button",
                  class: "govuk-button govuk-button--secondary govuk-!-margin-bottom-0",
                  onclick: () => dropPremises(p),
                },
                "Remove",
                hidden(` ${p.summary?.name || ""} from this tablet`),
              ),
            ),
          ),
        )
      : el("p", { class: "govuk-body" }, "No premises are kept on this tablet."),
  );
}

async function forget(record) {
  await store.removeRecord(record.id);
  await render();
}

async function discard(record) {
  await store.removeRecord(record.id);
  banner(`The ${KINDS[record.kind]?.name.toLowerCase() || "record"} at ${record.premisesName} has been discarded from this tablet.`, { success: true });
  await render();
}

async function dropPremises(pkg) {
  await store.removePremises(pkg.premises_id);
  await render();
}

async function sendAnyway(record) {
  await store.putRecord(key, { ...record, state: "saved", acknowledgeConflict: true });
  await send();
}

// When sending fails for want of a signal while the tablet says it is online (a weak signal,
// a server restarting), try again a little later, then less and less often.
const RETRY_SECONDS = [2, 5, 15, 30, 60];
let retries = 0;
let retryTimer = null;

function retryLater() {
  clearTimeout(retryTimer);
  const delay = RETRY_SECONDS[Math.min(retries, RETRY_SECONDS.length - 1)];
  retries += 1;
  retryTimer = setTimeout(() => {
    if (navigator.onLine) {
      send();
    }
  }, delay * 1000);
}

async function send() {
  sendButton.disabled = true;
  clearTimeout(retryTimer);
  try {
    const outcome = await sendAll();
    if (outcome.key) {
      key = outcome.key;
    }
    if (outcome.replaced) {
      // Never silently: what an ended grant left here could not be read and was removed.
      replacedMessage();
      await render().catch(() => null);
      return;
    }
    if (outcome.offline && navigator.onLine) {
      retryLater();
    } else {
      retries = 0;
    }
    if (outcome.signedOut) {
      signInAgainMessage();
      await render().catch(() => null);
      return;
    }
    const parts = [];
    if (outcome.sent) {
      parts.push(`${outcome.sent} sent`);
    }
    if (outcome.refused) {
      parts.push(`${outcome.refused} refused: correct ${outcome.refused === 1 ? "it" : "them"} and save again`);
    }
    if (outcome.conflicts) {
      parts.push(`${outcome.conflicts} changed on the server since you took the premises offline`);
    }
    if (parts.length) {
      banner(`Records: ${parts.join("; ")}.`, { success: !outcome.refused && !outcome.conflicts, title: "Sending records" });
    } else if (outcome.offline) {
      banner("There is no signal. Your records are saved on this tablet and will be sent when the signal returns.");
    }
    await render();
  } finally {
    sendButton.disabled = false;
  }
}

async function start() {
  showConnection();
  window.addEventListener("offline", showConnection);
  window.addEventListener("online", () => {
    showConnection();
    send();
  });
  sendButton.addEventListener("click", send);
  registerWorker();
  let session;
  try {
    session = await store.session();
    key = session.key;
  } catch (error) {
    loaded();
    sendButton.classList.add("govuk-!-display-none");
    if (error instanceof store.SignedOut) {
      signedOutMessage();
    } else {
      recordsArea.replaceChildren(el("p", { class: "govuk-body" }, "No records are saved on this tablet."));
      premisesArea.replaceChildren(el("p", { class: "govuk-body" }, "No premises are kept on this tablet."));
    }
    return;
  }
  await render();
  loaded();
  const saved = new URLSearchParams(location.search).get("saved");
  if (session.replaced) {
    replacedMessage();
  } else if (session.signedOut) {
    signInAgainMessage();
    return;
  } else if (saved) {
    banner("Saved on this tablet, not yet sent.", { success: true });
  }
  if (navigator.onLine) {
    await send();
  }
}

start();
