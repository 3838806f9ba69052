// ssg serve: live reload. Injected into HTML responses of the dev server only
// (never into the built files). Listens to /_ssg/events (server-sent events):
//  - "written" {build, changed, everything}: a build has written its files (it
//    prunes and commits next): the pages showing them reload now;
//  - "build" {build, ok, changed, deleted, everything, errors, written_at}: after
//    each build; what its "written" event announced is not acted on again;
//  - "hello" {server, last, written}: on every (re)connection.
// The page reloads when its own output changed or went, when a failed build
// is fixed, or when the server restarted; when only stylesheets changed (the
// page's HTML differs at most in their URLs) they are swapped in place; a
// failed build shows an overlay with the errors.
(function () {
  "use strict";
  if (!window.EventSource || window.__ssgLiveReload) return;
  var state = window.__ssgLiveReload = { connected: false, builds: 0, swaps: 0, reloads: 0, seen: null };
  var server = null, seen = null, announced = null, overlay = null, reloading = false;

  function norm(path) {
    try { path = decodeURIComponent(path); } catch (e) { /* keep it */ }
    return path.replace(/index\.html$/, "");
  }
  var here = norm(location.pathname);

  // The page as parsed, minus stylesheet URLs: what a CSS-only rebuild leaves alone.
  function signature(doc, body) {
    return doc.title + "\n" + body.innerHTML.trim();
  }
  var original = signature(document, document.body);

  function reload() {
    if (reloading) return;
    reloading = true;
    state.reloads += 1;
    source.close();
    location.reload();
  }

  // The overlay's own styles, in a shadow root: the page's rules (a theme's
  // `pre { color: ... }`) cannot reach its contents, and `all: initial` on the
  // host stops inherited ones. Light or dark as the reader's colour scheme;
  // every text colour is at least 4.5:1 on its background (WCAG AA).
  var OVERLAY_CSS =
    ":host{all:initial!important;display:block!important;position:fixed!important;inset:0!important;" +
    "z-index:2147483647!important}" +
    ".box{box-sizing:border-box;height:100%;overflow:auto;padding:2em;color-scheme:light;" +
    "background:#fff7f6;color:#1c1c1c;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas," +
    "'Liberation Mono',monospace}" +
    "h1{margin:0 0 1em;font:bold 16px/1.4 system-ui,sans-serif;color:#8f1111}" +
    ".error{margin:1em 0;padding:.75em 1em;white-space:pre-wrap;overflow-wrap:anywhere;font:inherit;" +
    "background:#ffffff;color:#1c1c1c;border:0;border-left:4px solid #c62828;border-radius:4px}" +
    "@media (prefers-color-scheme: dark){.box{color-scheme:dark;background:#1d1112;color:#f3f3f3}" +
    "h1{color:#ffa3a3}.error{background:#2c1b1d;color:#f3f3f3;border-left-color:#ff6b6b}}";
  var overlayRoot = null;

  function showErrors(errors) {
    if (!overlay) {
      overlay = document.createElement("ssg-error-overlay");
      overlay.id = "ssg-error-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "all:initial;position:fixed;inset:0;z-index:2147483647;display:block";
      overlayRoot = overlay.attachShadow({ mode: "open" });
      (document.body || document.documentElement).appendChild(overlay);
    }
    overlayRoot.textContent = "";
    var style = document.createElement("style");
    style.textContent = OVERLAY_CSS;
    var box = document.createElement("div");
    box.className = "box";
    var title = document.createElement("h1");
    title.textContent = "ssg: the build failed. Fix the error and save: this page reloads by itself.";
    box.appendChild(title);
    errors.forEach(function (error) {   // one per distinct error: "while rendering 19 pages" said by the server
      var item = document.createElement("pre");
      item.className = "error";
      item.textContent = error.text;   // text, never HTML
      box.appendChild(item);
    });
    overlayRoot.appendChild(style);
    overlayRoot.appendChild(box);
  }

  function sameOrigin(href) {
    var url = new URL(href, location.href);
    return url.origin === location.origin ? url : null;
  }

  // Swap the stylesheets whose file changed: to the URL the new page uses
  // (asset() adds a content hash), else the same URL with a cache-busting query.
  function swapStylesheets(changed, newDoc) {
    var fresh = {};
    if (newDoc) {
      newDoc.querySelectorAll('link[rel~="stylesheet"]').forEach(function (link) {
        var url = sameOrigin(link.getAttribute("href"));
        if (url) fresh[norm(url.pathname)] = url.href;
      });
    }
    document.querySelectorAll('link[rel~="stylesheet"]').forEach(function (link) {
      var url = sameOrigin(link.href);
      if (!url || !changed.has(norm(url.pathname))) return;
      var next = fresh[norm(url.pathname)];
      if (!next || next === link.href) {
        url.searchParams.set("ssg-reload", Date.now().toString(36));
        next = url.href;
      }
      var copy = link.cloneNode();
      copy.href = next;
      copy.addEventListener("load", function () { link.remove(); });
      copy.addEventListener("error", function () { link.remove(); });
      link.after(copy);
    });
    state.swaps += 1;
  }

  function onBuild(build) {
    state.builds += 1;
    if (!build.ok) { showErrors(build.errors); return; }
    if (overlay || build.everything) { reload(); return; }
    var changed = build.changed.map(norm), deleted = build.deleted.map(norm);
    if (deleted.indexOf(here) >= 0) { reload(); return; }
    var css = new Set(changed.filter(function (p) { return /\.css$/i.test(p); }));
    if (changed.some(function (p) { return /\.m?js$/i.test(p); })) { reload(); return; }
    if (changed.indexOf(here) < 0) {
      if (css.size) swapStylesheets(css, null);
      return;
    }
    if (!css.size) { reload(); return; }
    // The page and stylesheets changed: a swap is enough if the page differs only in their URLs.
    fetch(location.href, { cache: "no-store" }).then(function (response) {
      return response.text();
    }).then(function (text) {
      var doc = new DOMParser().parseFromString(text, "text/html");
      if (signature(doc, doc.body) === original) swapStylesheets(css, doc); else reload();
    }).catch(reload);
  }

  var source = new EventSource("/_ssg/events");
  source.addEventListener("hello", function (event) {
    var hello = JSON.parse(event.data), last = hello.last, early = hello.written;
    state.connected = true;
    if (server !== null && hello.server !== server) { reload(); return; }   // the server restarted
    server = hello.server;
    if (early && (!last || early.build > last.build)) {   // a build has written its files and not ended yet
      last = early;
      announced = early.build;
    }
    if (!last) return;
    if (seen === null) {   // first connection: the page is as of this build, unless its files changed after loading began
      state.seen = seen = last.build;
      if (!last.ok) showErrors(last.errors);
      else if ((last.written_at || last.finished) > performance.timeOrigin &&
               (last.everything || last.changed.map(norm).indexOf(here) >= 0)) reload();
      return;
    }
    if (last.build > seen) { state.seen = seen = last.build; if (last.ok) reload(); else showErrors(last.errors); }
  });
  source.addEventListener("written", function (event) {
    var early = JSON.parse(event.data);
    if (seen !== null && early.build <= seen) return;
    state.seen = seen = announced = early.build;
    onBuild(early);
  });
  source.addEventListener("build", function (event) {
    var build = JSON.parse(event.data);
    if (build.build === announced) { build.changed = []; build.everything = false; }   // acted on at "written"
    state.seen = seen = build.build;
    onBuild(build);
  });
  source.addEventListener("error", function () { state.connected = false; });
})();
