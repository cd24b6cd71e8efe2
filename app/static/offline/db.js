// What this tablet keeps for offline working (docs/offline.md, "On the device").
//
// One IndexedDB database with three stores:
//   meta:     "session" -> {key: a non-extractable AES-GCM CryptoKey, fingerprint, userId,
//             expiresAt, secret: the encrypted {csrfToken, syncUrl}}
//   premises: id -> {id, iv, data}: the encrypted package of one premises taken offline
//   records:  id -> {id, seq, iv, data}: the encrypted record saved on this tablet
// Every value but the key, the order of the records and the grant's end is encrypted with
// AES-GCM under the offline key, each with its own random 12-byte IV.

export const DB_NAME = "tracker-offline";
const DB_VERSION = 1;
const SESSION_URL = "/offline/api/session";

export const STATES = {
  saved: "Saved on this tablet, not yet sent",
  sent: "Sent",
  refused: "Refused: needs correcting",
  conflict: "Conflict: changed on the server",
};

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let opening = null;

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore("meta");
        db.createObjectStore("premises", { keyPath: "id" });
        const records = db.createObjectStore("records", { keyPath: "id" });
        records.createIndex("seq", "seq");
      };
      req.onsuccess = () => {
        const db = req.result;
        // Another tab deleting the database (sign-out) must not wait for this one.
        db.onversionchange = () => {
          db.close();
          opening = null;
        };
        resolve(db);
      };
      req.onerror = () => {
        opening = null;
        reject(req.error);
      };
    });
  }
  return opening;
}

async function tx(storeName, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(storeName, mode);
    const store = t.objectStore(storeName);
    let result;
    Promise.resolve(work(store))
      .then((value) => {
        result = value;
      })
      .catch(reject);
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

// --- The key -----------------------------------------------------------------------------

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

async function fingerprintOf(raw) {
  // Which session the key belongs to, without keeping the key itself readable.
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function encrypt(key, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    key,
    encoder.encode(JSON.stringify(value)),
  );
  return { iv, data };
}

async function decrypt(key, stored) {
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: stored.iv }, key, stored.data);
  return JSON.parse(decoder.decode(plain));
}

export class SignedOut extends Error {}
export class Offline extends Error {}

// --- Whose copy this is --------------------------------------------------------------------

// The id of the last user this browser saw signed in: every signed-in page says who it is drawn
// for (base.html, device.js), and so does every answer of the session API. A copy on this tablet
// is only ever opened for that user: another officer signing in on a shared browser never sees
// what the previous one kept here, with a signal or without.
const LAST_USER = "tracker-offline-user";

export function lastSeenUser() {
  try {
    return localStorage.getItem(LAST_USER);
  } catch {
    return null;
  }
}

export function seenSignedIn(userId) {
  try {
    localStorage.setItem(LAST_USER, String(userId));
  } catch {
    // no storage (a private window): nothing is kept for offline working either
  }
}

export function forgetSeenUser() {
  try {
    localStorage.removeItem(LAST_USER);
  } catch {
    // as above
  }
}

function belongsTo(held, userId) {
  return held && userId !== null && userId !== undefined && String(held.userId) === String(userId);
}

// Called by every signed-in page with the user it is drawn for: what another user left on this
// tablet is cleared, never shown (it is sealed with that user's key, which is removed with it).
export async function keepOnlyFor(userId) {
  seenSignedIn(userId);
  const names = indexedDB.databases ? await indexedDB.databases() : null;
  if (names && !names.some((d) => d.name === DB_NAME)) {
    return false; // nothing kept here: do not create the database just to look
  }
  const held = await storedSession().catch(() => null);
  if (held && !belongsTo(held, userId)) {
    await clearDevice({ pages: false });
    return true;
  }
  return false;
}

async function storedSession() {
  return tx("meta", "readonly", (store) => request(store.get("session")));
}

function expired(session) {
  return !session || !session.expiresAt || Date.parse(session.expiresAt) <= Date.now();
}

async function holdsAnything() {
  const counts = await Promise.all(
    ["premises", "records"].map((name) => tx(name, "readonly", (store) => request(store.count()))),
  );
  return counts.some((n) => n > 0);
}

// The offline key, the CSRF token and when the offline grant ends: from the server when it can
// be reached (the same key comes back to every sign-in until the grant ends), else from this
// tablet. The answer says `signedOut` when the server wants a new sign-in (the web session idled
// out): what is on the tablet is kept and still readable, and is sent after signing in again.
// `replaced` says an earlier grant's copy was cleared, as a new key cannot read it. A copy is
// only opened for its own user: another user's (from the server's answer, or without a signal
// the last user seen signed in here) is cleared, never shown.
// Throws SignedOut when nothing is kept and the server wants a sign-in, Offline when nothing is
// kept and there is no signal; clears the tablet and throws SignedOut once the grant has ended.
export async function session({ refresh = true } = {}) {
  let signedOut = false;
  let replaced = false;
  if (refresh && navigator.onLine) {
    let response = null;
    try {
      response = await fetch(SESSION_URL, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
        redirect: "manual",
      });
    } catch {
      response = null; // no network after all: use what the tablet holds
    }
    if (response && (response.status === 401 || response.type === "opaqueredirect")) {
      signedOut = true;
    } else if (response && response.ok) {
      const body = await response.json();
      const raw = fromBase64Url(body.key);
      const fingerprint = await fingerprintOf(raw);
      seenSignedIn(body.user_id);
      const old = await storedSession();
      if (old && !belongsTo(old, body.user_id)) {
        // Another user's copy (a shared browser): cleared, never shown to this one.
        await clearDevice({ pages: false });
      } else if (old && old.fingerprint !== fingerprint) {
        // The earlier grant ended (expired, revoked): its copy cannot be read with this key.
        replaced = await holdsAnything();
        await clearDevice();
      }
      const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, [
        "encrypt",
        "decrypt",
      ]);
      raw.fill(0);
      const secret = await encrypt(key, { csrfToken: body.csrf_token, syncUrl: body.sync_url });
      const saved = {
        key,
        fingerprint,
        userId: body.user_id,
        expiresAt: body.expires_at,
        secret,
      };
      await tx("meta", "readwrite", (store) => store.put(saved, "session"));
      return {
        key,
        userId: body.user_id,
        expiresAt: body.expires_at,
        csrfToken: body.csrf_token,
        syncUrl: body.sync_url,
        signedOut,
        replaced,
      };
    }
  }
  const held = await storedSession();
  if (!held) {
    throw signedOut || navigator.onLine ? new SignedOut() : new Offline();
  }
  if (expired(held)) {
    await clearDevice();
    throw new SignedOut();
  }
  if (!belongsTo(held, lastSeenUser())) {
    // Not the copy of the last user seen signed in here: cleared, never shown.
    await clearDevice({ pages: false });
    throw new SignedOut();
  }
  const secret = await decrypt(held.key, held.secret);
  return { key: held.key, userId: held.userId, expiresAt: held.expiresAt, ...secret, signedOut, replaced };
}

// --- Premises ----------------------------------------------------------------------------

export async function putPremises(key, pkg) {
  const sealed = await encrypt(key, pkg);
  await tx("premises", "readwrite", (store) =>
    store.put({ id: pkg.premises_id, iv: sealed.iv, data: sealed.data }),
  );
}

export async function getPremises(key, id) {
  const stored = await tx("premises", "readonly", (store) => request(store.get(id)));
  return stored ? decrypt(key, stored) : null;
}

export async function allPremises(key) {
  const stored = await tx("premises", "readonly", (store) => request(store.getAll()));
  const out = await Promise.all(stored.map((s) => decrypt(key, s)));
  return out.sort((a, b) => (a.summary?.name || "").localeCompare(b.summary?.name || "") || a.premises_id - b.premises_id);
}

export async function removePremises(id) {
  await tx("premises", "readwrite", (store) => store.delete(id));
}

// --- Records -----------------------------------------------------------------------------

export function newId() {
  return crypto.randomUUID();
}

export async function putRecord(key, record) {
  const sealed = await encrypt(key, record);
  await tx("records", "readwrite", (store) =>
    store.put({ id: record.id, seq: record.seq, iv: sealed.iv, data: sealed.data }),
  );
}

export async function getRecord(key, id) {
  const stored = await tx("records", "readonly", (store) => request(store.get(id)));
  return stored ? decrypt(key, stored) : null;
}

// Every record, oldest first (the order they were saved in, which is the order they are sent).
export async function allRecords(key) {
  const stored = await tx("records", "readonly", (store) => request(store.index("seq").getAll()));
  const out = await Promise.all(stored.map((s) => decrypt(key, s)));
  return out.sort((a, b) => a.seq - b.seq || a.id.localeCompare(b.id));
}

export async function removeRecord(id) {
  await tx("records", "readwrite", (store) => store.delete(id));
}

// How many records on this tablet are not yet accepted by the server (saved, refused or in
// conflict). Used to warn before signing out.
export async function unsentCount() {
  const names = indexedDB.databases ? await indexedDB.databases() : null;
  if (names && !names.some((d) => d.name === DB_NAME)) {
    return 0; // never opened here: do not create it just to count
  }
  const held = await storedSession().catch(() => null);
  if (!held) {
    return 0;
  }
  const records = await allRecords(held.key).catch(() => []);
  return records.filter((r) => r.state !== "sent").length;
}

// --- Clearing ----------------------------------------------------------------------------

// Remove everything this tablet keeps for offline working: the data, the key, and (unless
// `pages` is false: another user signed in, who may use them) the cached shells, which hold
// nothing about anyone.
export async function clearDevice({ pages = true } = {}) {
  if (opening) {
    const db = await opening.catch(() => null);
    if (db) {
      db.close();
    }
    opening = null;
  }
  await new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(DB_NAME);
    req.onsuccess = () => resolve();
    req.onerror = () => resolve();
    req.onblocked = () => resolve(); // deleted as soon as the other tabs let go
  });
  if (pages && self.caches) {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("offline-")).map((n) => caches.delete(n)));
  }
}
