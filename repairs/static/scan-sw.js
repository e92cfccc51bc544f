/* Scan station service worker: the station page and its files load without the network once
   visited. The scans themselves are kept by the page (IndexedDB), never here.

   - The station page: from the network when it answers (it carries the session's CSRF token
     and the signed-in user), else the copy kept from the last visit.
   - Static files (/static/...): the kept copy at once, refreshed in the background.
   - Everything else, the API above all, goes to the network untouched and is never kept. */
"use strict";

var CACHE = "depot-scan-station-v1";
var PAGE = new URL(self.registration.scope).pathname;  // registered with the station page as its scope

function isStatic(url) { return url.origin === self.location.origin && url.pathname.indexOf("/static/") === 0; }
function isPage(url) { return url.origin === self.location.origin && url.pathname === PAGE; }
// A page kept for offline use must be the station itself, not a sign-in page it redirected to.
function keepable(resp) { return resp && resp.ok && !resp.redirected && resp.type === "basic"; }

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("depot-scan-station-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

// The page lists its own files once the worker runs (its first load happened without it).
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "cache-shell" || !Array.isArray(data.urls)) { return; }
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(data.urls.map(function (raw) {
      var url = new URL(raw, self.location.href);
      if (!isPage(url) && !isStatic(url)) { return null; }
      var key = isPage(url) ? PAGE : url.href;
      return fetch(url.href, { credentials: "same-origin", cache: "no-store" }).then(function (resp) {
        return keepable(resp) ? cache.put(key, resp) : null;
      }).catch(function () { return null; });
    }));
  }));
});

function pageFromNetwork(request) {
  return caches.open(CACHE).then(function (cache) {
    return fetch(request).then(function (resp) {
      if (keepable(resp)) { cache.put(PAGE, resp.clone()); return resp; }
      // Signed out (sent to the sign-in page) or no longer allowed: forget the kept page, so
      // nobody opens the last user's station later without the network.
      if (resp.redirected || resp.status === 401 || resp.status === 403) { cache.delete(PAGE); return resp; }
      if (resp.status >= 500) {  // Depot is down: the kept page lets the clerk keep scanning
        return cache.match(PAGE).then(function (kept) { return kept || resp; });
      }
      return resp;
    }, function (err) {
      return cache.match(PAGE).then(function (kept) { if (kept) { return kept; } throw err; });
    });
  });
}

function staticFromCache(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (kept) {
      var fresh = fetch(request).then(function (resp) {
        if (keepable(resp)) { cache.put(request, resp.clone()); }
        return resp;
      });
      if (kept) { fresh.catch(function () { return null; }); return kept; }
      return fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (request.mode === "navigate" && isPage(url)) { event.respondWith(pageFromNetwork(request)); return; }
  if (isStatic(url)) { event.respondWith(staticFromCache(request)); }
});
