// Package netboxhttp is what every hhgate handler needs to talk NetBox's
// language over HTTP. It owns:
//
//   - which requests are programmatic (fetch, XHR, htmx, API clients) and
//     which are navigations in a browser tab (Classifier, IsHTMX), and the
//     Accept and Content-Type negotiation behind it (PrefersJSON, …);
//   - NetBox's site: BASE_PATH, LOGIN_URL, the API prefixes and AJAX path
//     patterns, checked once with errors naming the Caddy field (Config,
//     Site, CheckPath, CheckBasePath, PathPattern);
//   - same-origin paths and the page to come back to: SameOriginPath,
//     IsLoginLocation, LoginURL (the login page with ?next=) and CurrentPage;
//   - the JSON answer contract every module gives a programmatic request it
//     refuses or cannot serve (Body, the Code* values, Write) and the
//     standard refusals in it (WriteAuthRequired, WriteCSRFFailed), with the
//     texts people read (Texts and the Default* sentences).
//
// It is a leaf: plain net/http, no Caddy, nothing else of hhgate. The
// feature packages (sessionguard, oidcsession, fabricsync) each build their
// own Site from their configuration and use it; none of them borrows
// another's object for this. Requests flow one way: caddymodule → feature →
// netboxhttp.
package netboxhttp
