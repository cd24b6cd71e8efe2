// The offline pages' service worker (scope /offline/). It keeps the shells (pages with no data
// in them) and the static files they need, so a reload without a signal still works. It never
// keeps an answer from /offline/api/: the data lives only in IndexedDB, encrypted
// (docs/offline.md, "On the device").
const CACHE = "offline-shells-v1";
const SHELLS = ["/offline/", "/offline/premises", "/offline/inspect", "/offline/visit"];
const STATIC = [
  "/static/dist/app.css",
  "/static/favicon.svg",
  "/static/app.js",
  "/static/offline/db.js",
  "/static/offline/sync.js",
  "/static/offline/ui.js",
  "/static/offline/index.js",
  "/static/offline/premises.js",
  "/static/offline/form.js",
  "/static/offline/device.js",
  "/vendor/govuk/govuk-frontend.min.js",
  "/vendor/moj/moj-frontend.min.js",
  "/vendor/moj/assets/images/govuk-crest.svg",
];
const KEPT = new Set([...SHELLS, ...STATIC]);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) =>
        Promise.all(
          [...KEPT].map((url) =>
            // A shell is kept as drawn for keeping (?shell=1: no name, no menu, no token).
            fetch(SHELLS.includes(url) ? `${url}?shell=1` : url, {
              credentials: "same-origin",
              redirect: "manual",
              cache: "no-store",
            }).then((response) => (keepable(response) ? cache.put(url, response) : null)),
          ),
        ),
      )
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names.filter((n) => n.startsWith("offline-") && n !== CACHE).map((n) => caches.delete(n)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

// Only a page or file answered in full, never a redirect (to sign-in) or an error page.
function keepable(response) {
  return response && response.status === 200 && response.type === "basic" && !response.redirected;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname.startsWith("/offline/api/") || !KEPT.has(url.pathname)) {
    return; // the browser fetches it as usual: never cached here
  }
  event.respondWith(networkFirst(request, url.pathname));
});

// The network first, so an online tablet always has the current page; the kept copy when
// there is no signal. A shell's query (?id=) is read by its script, so one copy serves all.
// A page drawn online (with the person's name and the menu) is shown but never kept: only the
// static files are refreshed in the copy from the network.
async function networkFirst(request, path) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (!SHELLS.includes(path) && keepable(response)) {
      await cache.put(path, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await cache.match(path);
    if (kept) {
      return kept;
    }
    throw error;
  }
}
