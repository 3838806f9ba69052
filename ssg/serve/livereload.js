// ssg serve: live reload. Injected into HTML responses of the dev server only
// (never into the built files). Listens to /_ssg/events (server-sent events):
//  - "build" {build, ok, changed, deleted, everything, errors}: after each build;
//  - "hello" {server, last}: on every (re)connection.
// The page reloads when its own output changed or went, when a failed build
// is fixed, or when the server restarted; when only stylesheets changed (the
// page's HTML differs at most in their URLs) they are swapped in place; a
// failed build shows an overlay with the errors.
(function () {
  "use strict";
  if (!window.EventSource || window.__ssgLiveReload) return;
  var state = window.__ssgLiveReload = { connected: false, builds: 0, swaps: 0 };
  var server = null, seen = null, overlay = null, reloading = false;

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
    source.close();
    location.reload();
  }

  function showErrors(errors) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "ssg-error-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2em;" +
        "background:rgba(40,0,0,.94);color:#fff;font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap";
      (document.body || document.documentElement).appendChild(overlay);
    }
    overlay.textContent = "";
    var title = document.createElement("strong");
    title.textContent = "ssg: the build failed. Fix the error and save: this page reloads by itself.";
    overlay.appendChild(title);
    errors.forEach(function (error) {
      var item = document.createElement("pre");
      item.className = "ssg-error";
      item.style.cssText = "margin:1em 0;white-space:pre-wrap";
      item.textContent = error.text;   // text, never HTML
      overlay.appendChild(item);
    });
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
    var hello = JSON.parse(event.data), last = hello.last;
    state.connected = true;
    if (server !== null && hello.server !== server) { reload(); return; }   // the server restarted
    server = hello.server;
    if (!last) return;
    if (seen === null) {   // first connection: the page is as of this build, unless it finished after loading began
      seen = last.build;
      if (!last.ok) showErrors(last.errors);
      else if (last.finished > performance.timeOrigin &&
               (last.everything || last.changed.map(norm).indexOf(here) >= 0)) reload();
      return;
    }
    if (last.build > seen) { seen = last.build; if (last.ok) reload(); else showErrors(last.errors); }
  });
  source.addEventListener("build", function (event) {
    var build = JSON.parse(event.data);
    seen = build.build;
    onBuild(build);
  });
  source.addEventListener("error", function () { state.connected = false; });
})();
