// Sending what was saved on this tablet: once, in the order it was saved, each record with its
// idempotency key (its id) and the session's CSRF token. The server answers as the online form
// would (docs/offline.md): accepted, refused with the form's messages, or a conflict.
import * as store from "./db.js";

let running = null;

// Send every record waiting to be sent. Resolves to {sent, refused, conflicts, offline,
// signedOut, replaced, key} (`replaced`: an ended grant's copy was removed; `key`: the key now). Only one run at a time, in this tab and across tabs (Web Locks where there are).
export function sendAll() {
  if (!running) {
    const work = () => run().finally(() => {
      running = null;
    });
    running = navigator.locks ? navigator.locks.request("tracker-offline-sync", work) : work();
  }
  return running;
}

async function run() {
  const outcome = {
    sent: 0,
    refused: 0,
    conflicts: 0,
    offline: false,
    signedOut: false,
    replaced: false,
    key: null,
  };
  if (!navigator.onLine) {
    outcome.offline = true;
    return outcome;
  }
  let session;
  try {
    session = await store.session();
  } catch (error) {
    if (error instanceof store.SignedOut) {
      outcome.signedOut = true;
    } else {
      outcome.offline = true;
    }
    return outcome;
  }
  // A new key could not read an ended grant's copy, which was removed: the page must say so.
  outcome.replaced = Boolean(session.replaced);
  outcome.key = session.key;
  if (session.signedOut) {
    // Kept on the tablet, sent once the officer has signed in again (the same key comes back).
    outcome.signedOut = true;
    return outcome;
  }
  const records = await store.allRecords(session.key);
  let freshToken = false;
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i];
    if (record.state !== "saved") {
      continue;
    }
    let response;
    try {
      response = await fetch(session.syncUrl || "/offline/api/records", {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": session.csrfToken,
        },
        body: JSON.stringify({
          kind: record.kind,
          premises_id: record.premisesId,
          idempotency_key: record.id,
          taken_version: record.takenVersion,
          acknowledge_conflict: Boolean(record.acknowledgeConflict),
          fields: record.fields,
        }),
      });
    } catch {
      outcome.offline = true; // the signal went again: the rest stay "not yet sent"
      return outcome;
    }
    if (response.status === 401 || response.type === "opaqueredirect") {
      outcome.signedOut = true; // nothing is cleared: sending resumes after signing in again
      return outcome;
    }
    const body = await response.json().catch(() => ({}));
    if (response.status === 400 && body.reason === "csrf") {
      // A token from before a new sign-in: not the record's fault. Ask for a fresh one, once.
      if (freshToken) {
        outcome.offline = true;
        return outcome;
      }
      freshToken = true;
      try {
        session = await store.session();
      } catch {
        outcome.offline = true;
        return outcome;
      }
      if (session.signedOut) {
        outcome.signedOut = true;
        return outcome;
      }
      i -= 1; // the same record again
      continue;
    }
    if (response.status === 200 || response.status === 201) {
      // Accepted: the tablet keeps only that it was sent and where the record now is.
      await store.putRecord(session.key, {
        id: record.id,
        seq: record.seq,
        kind: record.kind,
        premisesId: record.premisesId,
        premisesName: record.premisesName,
        savedAt: record.savedAt,
        state: "sent",
        url: body.url || null,
        // A visit that made referrals: their anonymous records are added online, on this page.
        nextUrl: body.next_url || null,
        fields: {},
      });
      outcome.sent += 1;
    } else if (response.status === 422 || response.status === 403 || response.status === 400) {
      const errors =
        response.status === 422 && body.errors
          ? body.errors
          : {
              "": [
                response.status === 403
                  ? "You may not record this at this premises. Discard it, or ask a supervisor."
                  : "The server could not read this record. Discard it and record it again.",
              ],
            };
      await store.putRecord(session.key, { ...record, state: "refused", errors });
      outcome.refused += 1;
    } else if (response.status === 409) {
      await store.putRecord(session.key, {
        ...record,
        state: "conflict",
        changes: Array.isArray(body.changes) ? body.changes : [],
        acknowledgeConflict: false,
      });
      outcome.conflicts += 1;
    } else {
      // The server could not answer now (5xx, a proxy): try again later, in the same order.
      outcome.offline = true;
      return outcome;
    }
  }
  return outcome;
}
