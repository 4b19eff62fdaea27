/*
 * hhgate shim: session-aware NetBox pages.
 *
 * The gateway adds this script to NetBox's HTML pages (netbox_guard
 * inject_script). It changes nothing until the gateway answers a request
 * with its marker header X-Hhgate-Intercepted (the session expired, or
 * NetBox refused the CSRF token). Then, instead of letting the page's own
 * code choke on it, it:
 *
 *  - asks the user to sign in again in a popup (an accessible modal dialog),
 *  - fetches a fresh CSRF token from the gateway and puts it where NetBox's
 *    pages keep it (window.CSRF_TOKEN, csrfmiddlewaretoken inputs,
 *    hx-headers),
 *  - sends the interrupted request once more with the new token and hands
 *    the page that answer, as if the first one had succeeded. The gateway
 *    only intercepts answers NetBox gives before a view runs (login
 *    redirect, CSRF failure), so the request has had no effect yet and is
 *    safe to send again.
 *
 * It also warns before the session expires, from what the gateway knows
 * (GET .hhgate/session), and offers to stay signed in.
 *
 * Plain JavaScript, no dependencies. window.hhgate exposes its state and a
 * clock (hhgate.now) that tests may replace.
 */
(function () {
  'use strict';

  if (window.hhgate || !window.fetch || !window.XMLHttpRequest) {
    return;
  }

  var AUTH = 'authentication_required';
  var CSRF = 'csrf_failed';
  var MARKER = 'X-Hhgate-Intercepted';
  var RELOGIN_DONE = 'hhgate:relogin-done';

  // Configuration comes from the injected <script> element.
  var script = document.currentScript;
  var prefix = script ? new URL('.', script.src).pathname : '/.hhgate/';
  var loginPath = (script && script.getAttribute('data-hhgate-login')) || '/login/';
  var warnSeconds = Number(script && script.getAttribute('data-hhgate-warn')) || 120;

  var nativeFetch = window.fetch;
  var NativeXHR = window.XMLHttpRequest;

  var hh = {
    // The clock of the expiry warning. Tests replace it to let time pass.
    now: function () { return Date.now(); },
    stats: { intercepted: 0, retried: 0, dialogs: 0, popups: 0 },
    refresh: function () { return refreshSession(); },
    check: function () { check(); }
  };
  window.hhgate = hh;

  function sameOrigin(url) {
    try {
      return new URL(url, location.href).origin === location.origin;
    } catch (e) {
      return false;
    }
  }

  function isSessionCode(code) {
    return code === AUTH || code === CSRF;
  }

  function getJSON(path) {
    return nativeFetch.call(window, prefix + path, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' }
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (body) {
        return { status: res.status, ok: res.ok, body: body };
      });
    });
  }

  // ---- CSRF token ---------------------------------------------------------

  // freshToken gets the token NetBox accepts now from the gateway (the
  // page's window.CSRF_TOKEN, else NetBox's csrftoken cookie, else a form's
  // token) and puts it in place. Where the gateway has none but the cookie
  // is readable (NetBox 3.x: CSRF_COOKIE_HTTPONLY off, its scripts read it at
  // send time), the cookie is used. It rejects with .status 401 when the
  // user must sign in.
  function freshToken() {
    return getJSON('csrf').then(function (answer) {
      var body = answer.body || {};
      var token = answer.ok && typeof body.csrf_token === 'string' && body.csrf_token;
      if (answer.status !== 401) {
        token = token || cookieToken();
      }
      if (token) {
        applyToken(token);
        return token;
      }
      var err = new Error('no fresh CSRF token (HTTP ' + answer.status + ')');
      err.status = answer.status;
      err.body = body;
      throw err;
    });
  }

  // cookieToken reads NetBox's csrftoken cookie where scripts may (the
  // last of that name, as Django reads it); '' when it is HttpOnly or absent.
  function cookieToken() {
    var token = '';
    document.cookie.split(';').forEach(function (pair) {
      var i = pair.indexOf('=');
      if (i > 0 && pair.slice(0, i).trim() === 'csrftoken') {
        try {
          token = decodeURIComponent(pair.slice(i + 1).trim());
        } catch (e) {
          token = '';
        }
      }
    });
    return /^[A-Za-z0-9_-]{1,256}$/.test(token) ? token : '';
  }

  function applyToken(token) {
    var old = [];
    function remember(value) {
      if (value && value !== token && old.indexOf(value) < 0) {
        old.push(value);
      }
    }
    // NetBox ≥ 3.4 keeps it in window.CSRF_TOKEN; 3.x pages have none (and
    // read the cookie, which the sign-in already renewed).
    if (typeof window.CSRF_TOKEN === 'string') {
      remember(window.CSRF_TOKEN);
      window.CSRF_TOKEN = token;
    }
    document.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (input) {
      remember(input.value);
      input.value = token;
    });
    document.querySelectorAll('meta[name="csrf-token"]').forEach(function (meta) {
      remember(meta.getAttribute('content'));
      meta.setAttribute('content', token);
    });
    // htmx takes extra request headers from hx-headers='{"X-CSRFToken": "…"}'.
    document.querySelectorAll('[hx-headers],[data-hx-headers]').forEach(function (el) {
      ['hx-headers', 'data-hx-headers'].forEach(function (name) {
        var value = el.getAttribute(name);
        if (!value) {
          return;
        }
        var updated = value;
        old.forEach(function (o) { updated = updated.split(o).join(token); });
        if (updated !== value) {
          el.setAttribute(name, updated);
        }
      });
    });
  }

  // withToken returns body with its csrfmiddlewaretoken field (a form post)
  // set to token; other bodies are returned as they are.
  function withToken(body, token) {
    if (!token || body === null || body === undefined) {
      return body;
    }
    if (typeof FormData !== 'undefined' && body instanceof FormData) {
      if (!body.has('csrfmiddlewaretoken')) {
        return body;
      }
      var form = new FormData();
      body.forEach(function (value, key) {
        form.append(key, key === 'csrfmiddlewaretoken' ? token : value);
      });
      return form;
    }
    if (body instanceof URLSearchParams) {
      if (!body.has('csrfmiddlewaretoken')) {
        return body;
      }
      var params = new URLSearchParams(body);
      params.set('csrfmiddlewaretoken', token);
      return params;
    }
    if (typeof body === 'string' && /(^|&)csrfmiddlewaretoken=/.test(body)) {
      return body.replace(/(^|&)csrfmiddlewaretoken=[^&]*/g, '$1csrfmiddlewaretoken=' + encodeURIComponent(token));
    }
    return body;
  }

  // ---- recovery -----------------------------------------------------------
  //
  // An intercepted request becomes an item:
  //   { code, body (the gateway's JSON), retry(token) -> Promise<answer> or
  //     null when the body cannot be sent twice, codeOf(answer) -> marker }
  // recover(item) resolves with { result: answer } once the request was sent
  // again, with { error } if that failed, or with null: give the page the
  // first answer (the user cancelled, or there is nothing to retry).

  function recover(item) {
    hh.stats.intercepted++;
    if (item.code === CSRF && !signIn.open) {
      return recoverToken(item);
    }
    return waitForSignIn(item);
  }

  // recoverToken handles a refused CSRF token while the session is fine (it
  // was rotated by a login in another tab): new token, one more try.
  function recoverToken(item) {
    if (!item.retry) {
      return askReload(item.body);
    }
    return freshToken().then(function (token) {
      return item.retry(token).then(function (answer) {
        hh.stats.retried++;
        if (item.codeOf(answer) === CSRF) {
          return askReload(item.body).then(function () { return { result: answer }; });
        }
        return { result: answer };
      }, function (error) {
        return { error: error };
      });
    }, function (err) {
      if (err && err.status === 401) {
        return waitForSignIn({ code: AUTH, body: err.body || {}, retry: item.retry, codeOf: item.codeOf });
      }
      return askReload(item.body);
    });
  }

  // The sign-in in progress: one dialog and one popup for every request
  // that waits for it.
  var signIn = { open: false, busy: false, waiting: [], redirect: null, popup: null, watch: null };

  function waitForSignIn(item) {
    return new Promise(function (resolve) {
      signIn.waiting.push({ item: item, resolve: resolve });
      if (!signIn.redirect && item.body && typeof item.body.redirect === 'string') {
        signIn.redirect = item.body.redirect;
      }
      if (!signIn.open) {
        signIn.open = true;
        showDialog('signin', item.body && item.body.message);
      }
    });
  }

  // signedIn runs when the popup (or another tab) reports a sign-in: new
  // token, then every waiting request once more, in the order they came.
  function signedIn() {
    if (!signIn.open) {
      // Nothing waits (a sign-in from the banner, or in another tab): the
      // login rotated the CSRF token, so take the new one now.
      freshToken().catch(function () {}).then(refreshSession);
      return;
    }
    if (signIn.busy) {
      return;
    }
    signIn.busy = true;
    setStatus('Signed in. Finishing what you started…');
    freshToken().then(function (token) {
      return token;
    }, function (err) {
      if (err && err.status === 401) {
        throw err;
      }
      return null; // no token to be had: send the requests as they were
    }).then(function (token) {
      var waiting = endSignIn();
      hideDialog();
      return waiting.reduce(function (chain, w) {
        return chain.then(function () {
          if (!w.item.retry) {
            w.resolve(null);
            return null;
          }
          return w.item.retry(token).then(function (answer) {
            hh.stats.retried++;
            w.resolve({ result: answer });
          }, function (error) {
            w.resolve({ error: error });
          });
        });
      }, Promise.resolve());
    }, function () {
      signIn.busy = false;
      setStatus('You are not signed in yet. Use “Sign in again” to open the sign-in window.');
    }).then(refreshSession);
  }

  function endSignIn() {
    var waiting = signIn.waiting.splice(0);
    signIn.open = false;
    signIn.busy = false;
    signIn.redirect = null;
    if (signIn.watch) {
      clearInterval(signIn.watch);
      signIn.watch = null;
    }
    return waiting;
  }

  // cancelSignIn gives every waiting request its first answer.
  function cancelSignIn() {
    endSignIn().forEach(function (w) { w.resolve(null); });
  }

  // signInURL is the login page (the one of the gateway's 401 when there is
  // one: with SSO, the identity provider's) sending the user to
  // relogin-done afterwards.
  function signInURL(redirect) {
    var url;
    try {
      url = new URL(redirect || loginPath, location.href);
    } catch (e) {
      url = new URL(loginPath, location.href);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      url = new URL(loginPath, location.href);
    }
    var done = prefix + 'relogin-done';
    if (url.origin !== location.origin) {
      done = location.origin + done;
    }
    var replaced = false;
    ['next', 'rd'].forEach(function (key) {
      if (url.searchParams.has(key)) {
        url.searchParams.set(key, done);
        replaced = true;
      }
    });
    if (!replaced) {
      url.searchParams.set('next', done);
    }
    return url.href;
  }

  function openSignIn(redirect) {
    var url = signInURL(redirect);
    var popup = window.open(url, 'hhgate-signin', 'popup=yes,width=520,height=700');
    hh.stats.popups++;
    if (!popup) {
      setStatus('Your browser blocked the sign-in window. ', { text: 'Sign in in a new tab', href: url });
      return;
    }
    try {
      popup.focus();
    } catch (e) { /* cross-origin login page */ }
    if (!signIn.open) {
      return;
    }
    signIn.popup = popup;
    setStatus('Sign in in the new window. This page carries on by itself once you are done.');
    if (!signIn.watch) {
      signIn.watch = setInterval(function () {
        if (signIn.popup && signIn.popup.closed) {
          clearInterval(signIn.watch);
          signIn.watch = null;
          if (signIn.open && !signIn.busy) {
            setStatus('The sign-in window was closed. Use “Sign in again” to open it again.');
          }
        }
      }, 500);
    }
  }

  window.addEventListener('message', function (event) {
    if (event.origin === location.origin && event.data && event.data.type === RELOGIN_DONE) {
      signedIn();
      if (panel && !panel.source && panel.card.getAttribute('data-refused') === '401') {
        connectPanel(panel);
      }
    }
  });

  var channel = null;
  try {
    channel = new BroadcastChannel('hhgate');
    channel.onmessage = function (event) {
      var message = event.data || {};
      if (message.type === RELOGIN_DONE) {
        signedIn();
      } else if (message.type === 'session') {
        adoptSession(message, false);
        check();
      }
    };
  } catch (e) { /* no BroadcastChannel: tabs do not hear of each other */ }

  // ---- the dialog -----------------------------------------------------------

  var ui = null;
  var reloadWaiters = [];

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  // Styles are set through the DOM, which a page's Content-Security-Policy
  // allows even where it forbids inline style attributes.
  function style(node, properties) {
    Object.keys(properties).forEach(function (name) { node.style[name] = properties[name]; });
    return node;
  }

  function button(id, text, primary) {
    return style(el('button', { id: id, type: 'button' }, text), {
      font: 'inherit', padding: '.45rem 1rem', borderRadius: '4px', cursor: 'pointer',
      border: primary ? '1px solid #1a569d' : '1px solid #9aa0ac',
      background: primary ? '#206bc4' : '#fff', color: primary ? '#fff' : '#1d273b'
    });
  }

  function dialogUI() {
    if (ui) {
      return ui;
    }
    var dialog = style(el('dialog', {
      id: 'hhgate-dialog', role: 'dialog', 'aria-modal': 'true',
      'aria-labelledby': 'hhgate-dialog-title', 'aria-describedby': 'hhgate-dialog-text'
    }), {
      maxWidth: '28rem', padding: '1.5rem', border: '1px solid #d0d4dc', borderRadius: '8px',
      font: '15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      color: '#1d273b', background: '#fff', boxShadow: '0 12px 32px rgba(0, 0, 0, .28)'
    });
    var title = style(el('h2', { id: 'hhgate-dialog-title' }), { margin: '0 0 .5rem', fontSize: '1.2rem' });
    var text = style(el('p', { id: 'hhgate-dialog-text' }), { margin: '0 0 .75rem' });
    var status = style(el('p', { id: 'hhgate-dialog-status', role: 'status' }), { margin: '0 0 1rem', fontSize: '.9rem', color: '#495057' });
    var primary = button('hhgate-dialog-primary', '', true);
    var cancel = button('hhgate-dialog-cancel', 'Cancel', false);
    var actions = style(el('div'), { display: 'flex', gap: '.5rem', justifyContent: 'flex-end' });
    actions.appendChild(cancel);
    actions.appendChild(primary);
    [title, text, status, actions].forEach(function (node) { dialog.appendChild(node); });

    primary.addEventListener('click', function () {
      if (ui.mode === 'signin') {
        openSignIn(signIn.redirect);
      } else {
        location.reload();
      }
    });
    cancel.addEventListener('click', dismissDialog);
    // Escape: the dialog's cancel event.
    dialog.addEventListener('cancel', function (event) {
      event.preventDefault();
      dismissDialog();
    });
    // The browser may close it without a cancel event (a close request
    // without user activation): that is a dismissal too.
    dialog.addEventListener('close', function () {
      if (ui.mode) {
        dismissDialog();
      }
    });
    document.body.appendChild(dialog);
    ui = { dialog: dialog, title: title, text: text, status: status, primary: primary, mode: null, returnFocus: null };
    return ui;
  }

  function showDialog(mode, message) {
    var d = dialogUI();
    if (d.mode === 'reload' && mode === 'signin') {
      settleReload();
    }
    d.mode = mode;
    if (mode === 'signin') {
      d.title.textContent = 'Your session has expired';
      d.text.textContent = afterTitle(message, d.title.textContent) ||
        'Please sign in again. What you were doing carries on afterwards.';
      d.primary.textContent = 'Sign in again';
    } else {
      d.title.textContent = 'Your security token has expired';
      d.text.textContent = afterTitle(message, d.title.textContent) || 'Please reload the page and try again.';
      d.primary.textContent = 'Reload';
    }
    setStatus('');
    if (!d.dialog.open) {
      var active = document.activeElement;
      d.returnFocus = active && active !== document.body ? active : lastFocus;
      hh.stats.dialogs++;
      d.dialog.showModal();
    }
    d.primary.focus();
  }

  // afterTitle is the gateway's message without a first sentence that only
  // repeats the dialog's title ("Your session has expired. Please sign in
  // again." under the title "Your session has expired").
  function afterTitle(message, title) {
    if (typeof message !== 'string') {
      return '';
    }
    var text = message.trim();
    if (text.toLowerCase().indexOf(title.toLowerCase()) === 0) {
      text = text.slice(title.length).replace(/^[.!]?\s*/, '');
    }
    return text;
  }

  function setStatus(text, link) {
    if (!ui) {
      return;
    }
    ui.status.textContent = text;
    if (link) {
      var a = el('a', { href: link.href, target: '_blank', rel: 'opener' }, link.text);
      ui.status.appendChild(a);
    }
  }

  function hideDialog() {
    if (!ui || !ui.mode) {
      return;
    }
    ui.mode = null;
    if (ui.dialog.open) {
      ui.dialog.close();
    }
    if (ui.dialog.contains(document.activeElement)) {
      document.activeElement.blur(); // not left on a closed dialog's button
    }
    var back = ui.returnFocus;
    ui.returnFocus = null;
    restoreFocus(back);
  }

  // The element that had focus before the dialog. A page commonly disables
  // the button that started a request (the plugin's Sync does), which takes
  // the focus away from it, and some browsers never focus a clicked button;
  // so the last element focused or clicked is remembered.
  var lastFocus = null;
  function remember(event) {
    var target = event.target && event.target.closest ? event.target.closest('button, a[href], input, select, textarea, [tabindex]') : null;
    if (target && (!ui || !ui.dialog.contains(target))) {
      lastFocus = target;
    }
  }
  document.addEventListener('focusin', remember, true);
  document.addEventListener('click', remember, true);

  // restoreFocus gives focus back to el; if the page still has it disabled,
  // as soon as the page enables it again (unless the user moved on).
  function restoreFocus(el) {
    if (!el || !el.focus || !document.contains(el)) {
      return;
    }
    if (!el.disabled) {
      el.focus();
      return;
    }
    var observer = new MutationObserver(function () {
      if (!el.disabled) {
        observer.disconnect();
        var active = document.activeElement;
        if (!active || active === document.body || ui.dialog.contains(active)) {
          el.focus();
        }
      }
    });
    observer.observe(el, { attributes: true, attributeFilter: ['disabled'] });
    setTimeout(function () { observer.disconnect(); }, 30000);
  }

  function dismissDialog() {
    if (!ui) {
      return;
    }
    var mode = ui.mode;
    hideDialog();
    if (mode === 'signin') {
      cancelSignIn();
    } else {
      settleReload();
    }
  }

  // askReload shows "Your security token expired" and resolves (null: the
  // page gets NetBox's refusal) when the user dismisses it.
  function askReload(body) {
    return new Promise(function (resolve) {
      reloadWaiters.push(resolve);
      if (!signIn.open) {
        showDialog('reload', body && body.message);
      } else {
        settleReload();
      }
    });
  }

  function settleReload() {
    reloadWaiters.splice(0).forEach(function (resolve) { resolve(null); });
  }

  // ---- fetch ----------------------------------------------------------------

  // fetchReplay prepares sending (input, init) again with a new token. It
  // returns null when the body is a stream, which cannot be sent twice.
  function fetchReplay(input, init) {
    init = init || {};
    var spare = null;
    if (input instanceof Request) {
      if (input.bodyUsed) {
        return null;
      }
      try {
        spare = input.clone();
      } catch (e) {
        return null;
      }
    }
    if (typeof ReadableStream !== 'undefined' && init.body instanceof ReadableStream) {
      return null;
    }
    return function (token) {
      var headers = new Headers(init.headers || (spare ? spare.headers : undefined));
      if (token && headers.has('X-CSRFToken')) {
        headers.set('X-CSRFToken', token);
      }
      var again = Object.assign({}, init, { headers: headers });
      if (init.body !== undefined) {
        again.body = withToken(init.body, token);
      }
      return nativeFetch.call(window, spare || input, again);
    };
  }

  function fetchCode(response) {
    return response.headers.get(MARKER);
  }

  // forPerson is the gateway's answer as the page gets it when the user
  // cancelled the dialog: pages print its "error" to the person (the
  // plugin alerts "Sync failed: " + data.error), so the machine code moves
  // to "code" and "error" carries the gateway's human message. Scripts that
  // switch on the code still find it there and in the marker header.
  function forPerson(response, body) {
    if (!isSessionCode(body.error) || typeof body.message !== 'string' || !body.message) {
      return response;
    }
    var human = Object.assign({}, body, { error: body.message, code: body.error });
    return new Response(JSON.stringify(human), {
      status: response.status, statusText: response.statusText, headers: response.headers
    });
  }

  window.fetch = function fetch(input, init) {
    var url = input instanceof Request ? input.url : String(input);
    if (!sameOrigin(url)) {
      return nativeFetch.apply(window, arguments);
    }
    var replay = fetchReplay(input, init);
    return nativeFetch.call(window, input, init).then(function (response) {
      var code = fetchCode(response);
      if (!isSessionCode(code)) {
        noteActivity();
        return response;
      }
      return response.clone().json().catch(function () { return {}; }).then(function (body) {
        body = body || {};
        return recover({ code: code, body: body, retry: replay, codeOf: fetchCode }).then(function (outcome) {
          if (outcome && outcome.error) {
            throw outcome.error;
          }
          return outcome ? outcome.result : forPerson(response, body);
        });
      });
    });
  };

  // ---- XMLHttpRequest (htmx, jQuery, …) ---------------------------------------
  //
  // A gateway answer is held back from the page: its events are stopped
  // before the page's listeners see them, and the object reports "request
  // under way" (readyState 1) meanwhile. After the sign-in, a new native
  // request is sent and the page's object takes on its answer and fires
  // readystatechange, load and loadend. htmx thus swaps in the real
  // content; if the user cancels, htmx gets the 401 without HX-Redirect and
  // the page stays where it is.

  var XHR_EVENTS = ['readystatechange', 'progress', 'load', 'loadend', 'error', 'abort', 'timeout'];
  var nativeGet = {};
  ['readyState', 'status', 'statusText', 'response', 'responseText', 'responseXML', 'responseURL'].forEach(function (name) {
    var d = Object.getOwnPropertyDescriptor(NativeXHR.prototype, name);
    nativeGet[name] = d && d.get;
  });
  var HX_NAVIGATION = /^hx-(redirect|refresh|location)$/i;

  function xhrState() {
    return { method: 'GET', url: '', async: true, user: undefined, password: undefined, headers: [], body: null,
      mime: null, held: false, code: null, swap: null, hideHX: false, releasing: false, aborted: false };
  }

  function xhrBody(x) {
    try {
      if (x.responseType === '' || x.responseType === 'text') {
        return JSON.parse(nativeGet.responseText.call(x));
      }
      if (x.responseType === 'json') {
        return nativeGet.response.call(x) || {};
      }
    } catch (e) { /* not JSON */ }
    return {};
  }

  // xhrReplay sends the recorded request again on a new native object and
  // resolves with it once it is done.
  function xhrReplay(s, token) {
    return new Promise(function (resolve) {
      var r = new NativeXHR();
      r.open(s.method, s.url, true, s.user, s.password);
      r.withCredentials = s.withCredentials;
      r.timeout = s.timeout;
      r.responseType = s.responseType;
      if (s.mime) {
        r.overrideMimeType(s.mime);
      }
      s.headers.forEach(function (h) {
        r.setRequestHeader(h[0], token && /^x-csrftoken$/i.test(h[0]) ? token : h[1]);
      });
      r.hhgateOutcome = 'load';
      ['error', 'timeout', 'abort'].forEach(function (type) {
        r.addEventListener(type, function () { r.hhgateOutcome = type; });
      });
      r.addEventListener('loadend', function () { resolve(r); });
      r.send(withToken(s.body, token));
    });
  }

  function release(x, s, replacement) {
    if (x.hhgateState !== s || s.aborted) {
      return;
    }
    s.held = false;
    if (replacement) {
      s.swap = replacement;
    } else {
      s.hideHX = true; // the user said no: no navigation to the login page
    }
    s.releasing = true;
    try {
      x.dispatchEvent(new Event('readystatechange'));
      x.dispatchEvent(new ProgressEvent(replacement ? replacement.hhgateOutcome : 'load'));
      x.dispatchEvent(new ProgressEvent('loadend'));
    } finally {
      s.releasing = false;
    }
  }

  class SessionAwareXHR extends NativeXHR {
    constructor() {
      super();
      var x = this;
      this.hhgateState = xhrState();
      // Registered before any listener of the page, so it runs first.
      var gate = function (event) {
        var s = x.hhgateState;
        if (s.releasing) {
          return;
        }
        if (!s.held && event.type === 'readystatechange' && s.async && nativeGet.readyState.call(x) === 2) {
          var code = NativeXHR.prototype.getResponseHeader.call(x, MARKER);
          if (isSessionCode(code) && sameOrigin(s.url)) {
            s.held = true;
            s.code = code;
          }
        }
        if (!s.held) {
          if (event.type === 'loadend') {
            noteActivity();
          }
          return;
        }
        event.stopImmediatePropagation();
        if (event.type === 'loadend' && !s.recovering) {
          s.recovering = true;
          recover({
            code: s.code,
            body: xhrBody(x),
            retry: function (token) { return xhrReplay(s, token); },
            codeOf: function (r) { return r.getResponseHeader(MARKER); }
          }).then(function (outcome) {
            release(x, s, outcome && outcome.result);
          }, function () {
            release(x, s, null);
          });
        }
      };
      XHR_EVENTS.forEach(function (type) { x.addEventListener(type, gate); });
    }

    open(method, url, async, user, password) {
      var s = this.hhgateState = xhrState();
      s.method = method;
      s.url = String(url);
      s.async = arguments.length < 3 || !!async;
      s.user = user;
      s.password = password;
      return super.open.apply(this, arguments);
    }

    setRequestHeader(name, value) {
      this.hhgateState.headers.push([name, value]);
      return super.setRequestHeader(name, value);
    }

    overrideMimeType(mime) {
      this.hhgateState.mime = mime;
      return super.overrideMimeType(mime);
    }

    send(body) {
      var s = this.hhgateState;
      s.body = body === undefined ? null : body;
      s.withCredentials = this.withCredentials;
      s.timeout = this.timeout;
      s.responseType = this.responseType;
      return super.send(body);
    }

    abort() {
      var s = this.hhgateState;
      if (!s.held) {
        return super.abort();
      }
      // Held: to the page the request is still under way, so end it the
      // way an abort would; a retry that is pending is dropped.
      s.aborted = true;
      super.abort();
      s.releasing = true;
      try {
        this.dispatchEvent(new ProgressEvent('abort'));
        this.dispatchEvent(new ProgressEvent('loadend'));
      } finally {
        s.releasing = false;
      }
      return undefined;
    }

    get readyState() {
      var s = this.hhgateState;
      return s.swap ? s.swap.readyState : s.held ? 1 : super.readyState;
    }

    get status() {
      var s = this.hhgateState;
      return s.swap ? s.swap.status : s.held ? 0 : super.status;
    }

    get statusText() {
      var s = this.hhgateState;
      return s.swap ? s.swap.statusText : s.held ? '' : super.statusText;
    }

    get response() {
      var s = this.hhgateState;
      if (s.swap) {
        return s.swap.response;
      }
      if (s.held) {
        return this.responseType === '' || this.responseType === 'text' ? '' : null;
      }
      return super.response;
    }

    get responseText() {
      var s = this.hhgateState;
      return s.swap ? s.swap.responseText : s.held ? '' : super.responseText;
    }

    get responseXML() {
      var s = this.hhgateState;
      return s.swap ? s.swap.responseXML : s.held ? null : super.responseXML;
    }

    get responseURL() {
      var s = this.hhgateState;
      return s.swap ? s.swap.responseURL : s.held ? '' : super.responseURL;
    }

    getResponseHeader(name) {
      var s = this.hhgateState;
      if (s.swap) {
        return s.swap.getResponseHeader(name);
      }
      if (s.held || (s.hideHX && HX_NAVIGATION.test(name))) {
        return null;
      }
      return super.getResponseHeader(name);
    }

    getAllResponseHeaders() {
      var s = this.hhgateState;
      if (s.swap) {
        return s.swap.getAllResponseHeaders();
      }
      if (s.held) {
        return '';
      }
      var all = super.getAllResponseHeaders();
      if (!s.hideHX) {
        return all;
      }
      return all.split('\r\n').filter(function (line) {
        return !HX_NAVIGATION.test(line.split(':')[0].trim());
      }).join('\r\n');
    }
  }
  window.XMLHttpRequest = SessionAwareXHR;

  // ---- expiry warning -----------------------------------------------------
  //
  // The gateway says when the session expires (expires_at) and what its
  // clock says (server_time). The time left is measured on the gateway's
  // clock and counted down on this page's, so a page clock that is off does
  // not matter. An OIDC module in front may answer .hhgate/session with its
  // own shape ({authenticated, user, email, groups, expires_at}); both work.

  var session = {
    known: false, authenticated: false, expiresAt: undefined, deadline: null,
    warnMs: warnSeconds * 1000, confirmed: undefined, cannotExtend: undefined, dismissed: undefined
  };
  hh.session = session;
  var timer = null;
  var banner = null;

  // toMs reads a time in Unix seconds, Unix milliseconds or as a date string.
  function toMs(value) {
    if (typeof value === 'number' && isFinite(value)) {
      return value > 1e11 ? value : value * 1000;
    }
    if (typeof value === 'string' && value) {
      var t = Date.parse(value);
      return isNaN(t) ? null : t;
    }
    return null;
  }

  function refreshSession() {
    return getJSON('session').then(function (answer) {
      if (answer.ok && answer.body) {
        adoptSession(answer.body, true);
      }
    }, function () { /* offline: keep what we know */ }).then(function () {
      check();
      return session;
    });
  }

  function adoptSession(body, tellOtherTabs) {
    var expiresAt = toMs(body.expires_at);
    var serverTime = toMs(body.server_time);
    if (typeof body.warn_before_seconds === 'number' && body.warn_before_seconds > 0) {
      session.warnMs = body.warn_before_seconds * 1000;
    }
    session.known = true;
    session.authenticated = !!body.authenticated;
    if (expiresAt === session.expiresAt) {
      return; // nothing new: keep counting down
    }
    session.expiresAt = expiresAt;
    session.deadline = expiresAt === null ? null : serverTime === null ? expiresAt : hh.now() + (expiresAt - serverTime);
    if (tellOtherTabs && channel) {
      channel.postMessage({
        type: 'session', authenticated: body.authenticated, expires_at: body.expires_at,
        server_time: body.server_time, warn_before_seconds: body.warn_before_seconds
      });
    }
  }

  // noteActivity: a request went through. Where sessions slide
  // (LOGIN_PERSISTENCE) it renewed the session, so a warning on screen may
  // be out of date.
  function noteActivity() {
    if (banner && !banner.root.hidden) {
      refreshSession();
    }
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(check, Math.max(ms, 250));
  }

  function check() {
    clearTimeout(timer);
    timer = null;
    if (!session.known || session.deadline === null) {
      hideBanner();
      return;
    }
    var remaining = session.deadline - hh.now();
    if (remaining > session.warnMs) {
      hideBanner();
      schedule(Math.min(remaining - session.warnMs, 60000));
      return;
    }
    if (session.confirmed !== session.expiresAt) {
      // Before warning, ask whether another tab or request renewed it.
      session.confirmed = session.expiresAt;
      refreshSession();
      return;
    }
    showBanner(remaining);
    schedule(1000);
  }

  function inWords(ms) {
    var minutes = Math.ceil(ms / 60000);
    return minutes > 1 ? 'in ' + minutes + ' minutes' : 'within a minute';
  }

  function bannerUI() {
    if (banner) {
      return banner;
    }
    // At the top, centred: NetBox shows its toasts and messages
    // bottom-right (3.x and 4.x layouts), and the banner must never cover
    // them.
    var root = style(el('div', { id: 'hhgate-banner', role: 'region', 'aria-label': 'Session expiry' }), {
      position: 'fixed', top: '1rem', left: '50%', transform: 'translateX(-50%)',
      width: 'min(40rem, calc(100vw - 2rem))', boxSizing: 'border-box', zIndex: '2147483000',
      display: 'none', alignItems: 'center', gap: '.75rem', padding: '.75rem 1rem',
      font: '15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      background: '#fff3cd', color: '#664d03', border: '1px solid #ffda6a', borderRadius: '6px',
      boxShadow: '0 6px 18px rgba(0, 0, 0, .18)'
    });
    var text = style(el('span', { id: 'hhgate-banner-text', role: 'status' }), { flex: '1' });
    var stay = button('hhgate-banner-stay', 'Stay signed in', true);
    var again = button('hhgate-banner-signin', 'Sign in again', true);
    var dismiss = button('hhgate-banner-dismiss', '×', false);
    dismiss.setAttribute('aria-label', 'Dismiss');
    [text, stay, again, dismiss].forEach(function (node) { root.appendChild(node); });
    root.hidden = true;
    stay.addEventListener('click', keepAlive);
    again.addEventListener('click', function () { openSignIn(null); });
    dismiss.addEventListener('click', function () {
      session.dismissed = session.expiresAt;
      hideBanner();
    });
    document.body.appendChild(root);
    banner = { root: root, text: text, stay: stay, again: again };
    return banner;
  }

  function showBanner(remaining) {
    if (session.dismissed === session.expiresAt) {
      hideBanner();
      return;
    }
    var b = bannerUI();
    var message;
    if (remaining <= 0) {
      message = 'Your session has expired.';
    } else if (session.cannotExtend === session.expiresAt) {
      // NetBox's login page sends a signed-in user straight on, so a new
      // session can only be had once this one has ended.
      message = 'Your session ends ' + inWords(remaining) + ' and cannot be extended. ' +
        'Save your work; you can sign in again once it has ended.';
    } else {
      message = 'Your session expires ' + inWords(remaining) + '.';
    }
    if (b.text.textContent !== message) {
      b.text.textContent = message; // only on change: it is a live region
    }
    b.stay.hidden = remaining <= 0 || session.cannotExtend === session.expiresAt;
    b.again.hidden = remaining > 0;
    b.root.hidden = false;
    b.root.style.display = 'flex';
  }

  function hideBanner() {
    if (banner) {
      banner.root.hidden = true;
      banner.root.style.display = 'none';
    }
  }

  // keepAlive renews the session by loading a NetBox page (the one the CSRF
  // token comes from). NetBox renews sessions on every request only with
  // LOGIN_PERSISTENCE; without it the expiry stays, and the banner says
  // that the session cannot be extended.
  function keepAlive() {
    var b = bannerUI();
    var before = session.expiresAt;
    b.stay.disabled = true;
    freshToken().then(refreshSession, function (err) {
      if (err && err.status === 401) {
        session.deadline = hh.now(); // NetBox already ended it
      }
      return refreshSession();
    }).then(function () {
      b.stay.disabled = false;
      if (session.expiresAt === before) {
        session.cannotExtend = before;
        check();
      }
    });
  }


  // ---- live fabric panel ------------------------------------------------------
  //
  // On the plugin's fabric page (<base>plugins/hedgehog/fabrics/<id>/) one
  // card shows what the gateway knows of the fabric, live, from
  // .hhgate/fabrics/<id>/events (server-sent events, authorized by NetBox
  // as the user): the sync state and progress, the outcome and counts, the
  // drift since the last sync, switch readiness, the last syncs (the
  // fabric's journal) and a preview of the next sync
  // (.hhgate/fabrics/<id>/plan). It uses the page's own classes (Tabler /
  // Bootstrap 5 cards, badges, tables), so it looks like the page. Nothing
  // is shown until the stream is allowed: a user who may not view the
  // fabric sees only that refusal.

  var basePath = prefix.replace(/\.hhgate\/$/, '');
  var SYNC_LABELS = { never_synced: 'Never Synced', in_sync: 'In Sync', out_of_sync: 'Out of Sync', syncing: 'Syncing', error: 'Sync Error' };
  var SYNC_COLORS = { never_synced: 'secondary', in_sync: 'green', out_of_sync: 'yellow', syncing: 'blue', error: 'red' };

  function fabricPageID() {
    var rest = location.pathname.indexOf(basePath + 'plugins/hedgehog/fabrics/') === 0 ?
      location.pathname.slice((basePath + 'plugins/hedgehog/fabrics/').length) : '';
    var m = /^([1-9][0-9]{0,8})\/$/.exec(rest);
    return m ? Number(m[1]) : 0;
  }

  function number(n) {
    return typeof n === 'number' ? n.toLocaleString('en-US') : '0';
  }

  function plural(n, one, many) {
    return number(n) + ' ' + (n === 1 ? one : many);
  }

  function ago(when) {
    var t = toMs(when);
    if (t === null) {
      return '';
    }
    var s = Math.round((Date.now() - t) / 1000);
    if (s < 45) {
      return 'just now';
    }
    if (s < 5400) {
      return plural(Math.max(1, Math.round(s / 60)), 'minute', 'minutes') + ' ago';
    }
    if (s < 129600) {
      return plural(Math.round(s / 3600), 'hour', 'hours') + ' ago';
    }
    return new Date(t).toLocaleString();
  }

  // pageField finds the page's own value cell for a label ("Sync Status"):
  // an element with the given id, else the table row whose header says so.
  function pageField(id, label) {
    var node = document.getElementById(id);
    if (node) {
      return node;
    }
    var rows = document.querySelectorAll('table tr');
    for (var i = 0; i < rows.length; i++) {
      var head = rows[i].querySelector('th, td');
      var cell = head && head.nextElementSibling;
      if (cell && head.textContent.trim().toLowerCase() === label.toLowerCase()) {
        return cell;
      }
    }
    return null;
  }

  function setBadge(node, text, color) {
    if (!node) {
      return;
    }
    node.textContent = text;
    node.className = node.className.split(/\s+/).filter(function (c) {
      return c && !/^(text-bg-|bg-)/.test(c);
    }).concat(['text-bg-' + color]).join(' ');
  }

  function panelUI(fabricID) {
    var card = el('section', { id: 'hhgate-fabric-panel', 'class': 'card', 'aria-labelledby': 'hhgate-panel-title' });
    var header = el('div', { 'class': 'card-header' });
    header.appendChild(el('h2', { id: 'hhgate-panel-title', 'class': 'card-title' }, 'Sync from Kubernetes'));
    var actions = el('div', { 'class': 'card-actions' });
    var state = el('span', { id: 'hhgate-panel-state', 'class': 'badge text-bg-secondary' }, 'Connecting…');
    actions.appendChild(state);
    header.appendChild(actions);
    card.appendChild(header);

    var body = el('div', { 'class': 'card-body' });
    var live = el('div', { id: 'hhgate-panel-live', role: 'status', 'aria-live': 'polite', 'class': 'mb-2' });
    var line = el('p', { id: 'hhgate-panel-line', 'class': 'mb-1' }, 'Connecting to the gateway…');
    var bar = el('div', { 'class': 'progress progress-sm mb-2', id: 'hhgate-panel-progress' });
    var fill = el('div', { 'class': 'progress-bar', role: 'progressbar', 'aria-label': 'Sync progress',
      'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0' });
    bar.appendChild(fill);
    bar.hidden = true;
    var outcome = el('p', { id: 'hhgate-panel-outcome', 'class': 'mb-1' });
    outcome.hidden = true;
    [line, bar, outcome].forEach(function (n) { live.appendChild(n); });
    body.appendChild(live);
    var drift = el('p', { id: 'hhgate-panel-drift', 'class': 'mb-1 text-warning', role: 'status', 'aria-live': 'polite' });
    drift.hidden = true;
    var ready = el('div', { id: 'hhgate-panel-readiness', 'class': 'mb-1' });
    ready.hidden = true;
    body.appendChild(drift);
    body.appendChild(ready);

    var previewHead = el('div', { 'class': 'd-flex align-items-center gap-2 mt-3 mb-2' });
    previewHead.appendChild(el('h3', { id: 'hhgate-preview-title', 'class': 'card-subtitle h3 mb-0 me-auto' }, 'Preview of the next sync'));
    var refresh = el('button', { type: 'button', id: 'hhgate-preview-refresh', 'class': 'btn btn-sm' }, 'Refresh preview');
    var syncNow = el('button', { type: 'button', id: 'hhgate-panel-sync', 'class': 'btn btn-sm btn-primary' }, 'Sync now');
    previewHead.appendChild(refresh);
    previewHead.appendChild(syncNow);
    var preview = el('div', { id: 'hhgate-preview', 'aria-labelledby': 'hhgate-preview-title', role: 'region' });
    body.appendChild(previewHead);
    body.appendChild(preview);

    body.appendChild(el('h3', { id: 'hhgate-journal-title', 'class': 'h3 mt-3 mb-2' }, 'Last syncs'));
    var journal = el('div', { id: 'hhgate-journal', role: 'region', 'aria-labelledby': 'hhgate-journal-title' });
    body.appendChild(journal);
    card.appendChild(body);

    var details = [previewHead, preview, body.querySelector('#hhgate-journal-title'), journal];
    details.forEach(function (n) { n.hidden = true; });
    refresh.addEventListener('click', function () { loadPreview(ui2); });
    syncNow.addEventListener('click', function () { pressSync(fabricID, syncNow); });
    var ui2 = { fabricID: fabricID, card: card, state: state, line: line, bar: bar, fill: fill, outcome: outcome,
      drift: drift, ready: ready, preview: preview, journal: journal, details: details, lastID: 0, driftChanges: 0, openKinds: {} };
    return ui2;
  }

  // placePanel puts the card after the page's first row of cards (the
  // fabric's attributes), else at the end of the page's content.
  function placePanel(card) {
    var anchor = document.getElementById('sync-status') || document.querySelector('#sync-now-btn');
    var row = anchor && anchor.closest('.row');
    var wrap = el('div', { 'class': 'row row-cards mt-3', id: 'hhgate-fabric-panel-row' });
    var col = el('div', { 'class': 'col col-12' });
    col.appendChild(card);
    wrap.appendChild(col);
    if (row && row.parentNode) {
      row.parentNode.insertBefore(wrap, row.nextSibling);
      return;
    }
    var content = document.querySelector('.page-body .container-fluid, .page-body, main') || document.body;
    content.appendChild(wrap);
  }

  function pressSync(fabricID, own) {
    // The page's own button runs the plugin's own code (and its alert).
    var pageButton = document.getElementById('sync-now-btn');
    if (pageButton && !pageButton.disabled) {
      pageButton.click();
      return;
    }
    own.disabled = true;
    var token = window.CSRF_TOKEN || (document.querySelector('[name=csrfmiddlewaretoken]') || {}).value || cookieToken();
    window.fetch(basePath + 'plugins/hedgehog/fabrics/' + fabricID + '/sync/', {
      method: 'POST', credentials: 'same-origin', headers: { 'X-CSRFToken': token, 'Content-Type': 'application/json' }
    }).catch(function () {}).then(function () { own.disabled = false; });
  }

  function showState(p, data) {
    var labels = { idle: ['Idle', 'secondary'], scheduled: ['Scheduled', 'azure'], running: ['Running', 'blue'] };
    p.stateShown = true;
    var l = labels[data.state] || labels.idle;
    setBadge(p.state, l[0], l[1]);
    p.running = data.state === 'running';
    if (data.state === 'running') {
      p.sawRunning = true;
      p.line.textContent = 'Sync running' + (data.trigger === 'recovery' ? ' (finishing an interrupted sync)' : '') + '…';
      p.bar.hidden = false;
      pageStatus(p, 'syncing');
    } else {
      p.bar.hidden = true;
      p.line.textContent = data.state === 'scheduled' ? 'Next sync ' + (toMs(data.at) > Date.now() ?
        'at ' + new Date(toMs(data.at)).toLocaleTimeString() : 'due now') + '.' : 'No sync running.';
    }
  }

  function showProgress(p, data) {
    if (!p.running) {
      return;
    }
    var parts = [number(data.kinds_read) + ' of ' + number(data.kinds_total) + ' kinds read'];
    if (data.phase === 'writing' || data.planned > 0) {
      parts.push(number(data.written) + ' of ' + number(data.planned) + ' changes written');
    }
    p.line.textContent = 'Sync running: ' + parts.join(' · ');
    var total = (data.kinds_total || 1) + (data.planned || 0);
    var pct = Math.min(100, Math.round(100 * ((data.kinds_read || 0) + (data.written || 0)) / total));
    p.fill.style.width = pct + '%';
    p.fill.setAttribute('aria-valuenow', String(pct));
    p.progress = data;
  }

  function showOutcome(p, data) {
    var s = data.stats || {};
    var counts = [plural(s.created || 0, 'created', 'created'), number(s.updated || 0) + ' updated',
      number(s.deleted || 0) + ' deleted', number(s.unchanged || 0) + ' unchanged'];
    if (s.errors) {
      counts.push(plural(s.errors, 'error', 'errors'));
    }
    var took = typeof s.duration_ms === 'number' ? ' in ' + (s.duration_ms / 1000).toFixed(1) + ' s' : '';
    var verdict = data.success ? 'succeeded' : data.code === 'partial_failure' ? 'partly failed' : 'failed';
    p.outcome.textContent = 'Last sync ' + verdict + ' ' + ago(data.finished) + took + ': ' + counts.join(', ') + '.' +
      (data.success || !data.error ? '' : ' ' + data.error);
    p.outcome.className = 'mb-1 ' + (data.success ? 'text-success' : 'text-danger');
    p.outcome.hidden = false;
    p.lastOutcome = data;
    // The stats carry switches_ready/_total/_stale only where the sync
    // could read the fabric's Agents: unknown otherwise.
    showReadiness(p, typeof s.switches_total === 'number' ?
      { ready: s.switches_ready || 0, total: s.switches_total, stale: s.switches_stale || 0 } : null);
  }

  // showReadiness: "Switches ready 7/8 · 1 stale heartbeat", with each
  // switch on demand where the answer lists them; hidden when the
  // readiness is unknown (null) or there are no Agents.
  function showReadiness(p, r) {
    p.ready.textContent = '';
    if (!r || typeof r.total !== 'number' || r.total <= 0) {
      p.ready.hidden = true;
      return;
    }
    var text = 'Switches ready ' + number(r.ready) + '/' + number(r.total) +
      (r.stale ? ' · ' + plural(r.stale, 'stale heartbeat', 'stale heartbeats') : '');
    var list = Array.isArray(r.switches) ? r.switches : null;
    if (!list || !list.length) {
      p.ready.appendChild(el('span', { id: 'hhgate-readiness-line' }, text));
    } else {
      var d = el('details');
      d.appendChild(el('summary', { id: 'hhgate-readiness-line' }, text));
      var ul = el('ul', { 'class': 'list-unstyled mb-0 ms-3' });
      list.forEach(function (sw) {
        var state = sw.state || (sw.ready ? 'ready' : sw.stale ? 'stale heartbeat' : 'not ready');
        ul.appendChild(el('li', {}, (sw.name || '?') + ': ' + state));
      });
      d.appendChild(ul);
      p.ready.appendChild(d);
    }
    p.ready.hidden = false;
  }

  function showDrift(p, data) {
    if (!data.changes) {
      p.drift.hidden = true;
      p.drift.textContent = '';
      return;
    }
    var when = data.since ? ' (the first ' + ago(data.since) + ')' : '';
    p.drift.textContent = plural(data.changes, 'change', 'changes') + ' in the cluster since the last sync' + when + '.';
    p.drift.hidden = false;
  }

  // pageStatus updates the page's own sync badge, and with a fabric record
  // its last-sync and error texts, so that no reload is needed.
  function pageStatus(p, status, fabric) {
    var cell = pageField('sync-status', 'Sync Status');
    var badge = cell && (cell.classList.contains('badge') ? cell : cell.querySelector('.badge')) || cell;
    if (badge && SYNC_LABELS[status]) {
      setBadge(badge, SYNC_LABELS[status], SYNC_COLORS[status]);
      badge.setAttribute('data-sync-status', status);
    }
    if (!fabric) {
      return;
    }
    var last = pageField('last-sync', 'Last Sync');
    if (last && fabric.last_sync) {
      last.textContent = new Date(toMs(fabric.last_sync)).toLocaleString();
      last.setAttribute('data-hhgate-updated', String(Date.now()));
    }
    var error = pageField('sync-error', 'Sync Error');
    if (error && typeof fabric.sync_error === 'string') {
      error.textContent = fabric.sync_error;
    }
  }

  // refreshPage reads the fabric from NetBox's API as the user, after a sync.
  function refreshPage(p, outcome) {
    nativeFetch.call(window, basePath + 'api/plugins/hedgehog/fabrics/' + p.fabricID + '/', {
      credentials: 'same-origin', headers: { Accept: 'application/json' }
    }).then(function (res) {
      return res.ok ? res.json() : null;
    }).catch(function () { return null; }).then(function (fabric) {
      var status = fabric && fabric.sync_status;
      status = status && typeof status === 'object' ? status.value : status;
      pageStatus(p, status || (outcome.stats && outcome.stats.status), fabric);
    });
    // The page's own htmx partials of this fabric (the plugin's live
    // status) load again, as their refresh button would.
    if (window.htmx && typeof window.htmx.ajax === 'function') {
      document.querySelectorAll('[hx-get]').forEach(function (node) {
        var url = node.getAttribute('hx-get');
        if (url.indexOf(basePath + 'plugins/hedgehog/fabrics/' + p.fabricID + '/') === 0) {
          window.htmx.ajax('GET', url, { target: node, swap: node.getAttribute('hx-swap') || 'innerHTML' });
        }
      });
    }
  }

  function table(headers, rows, caption) {
    var t = el('table', { 'class': 'table table-sm table-vcenter card-table mb-0' });
    if (caption) {
      t.appendChild(el('caption', { 'class': 'visually-hidden' }, caption));
    }
    var head = el('thead');
    var tr = el('tr');
    headers.forEach(function (h) { tr.appendChild(el('th', { scope: 'col' }, h)); });
    head.appendChild(tr);
    t.appendChild(head);
    var tb = el('tbody');
    rows.forEach(function (r) { tb.appendChild(r); });
    t.appendChild(tb);
    return t;
  }

  function loadPreview(p) {
    // Only the latest request's answer is shown (a refresh may overtake one).
    var seq = p.previewSeq = (p.previewSeq || 0) + 1;
    p.preview.textContent = 'Loading the preview…';
    return nativeFetch.call(window, prefix + 'fabrics/' + p.fabricID + '/plan', {
      credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' }
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (body) {
        return { status: res.status, body: body };
      });
    }).then(function (answer) {
      if (seq !== p.previewSeq) {
        return;
      }
      p.preview.textContent = '';
      if (answer.status === 404 && !(answer.body && answer.body.kinds)) {
        p.preview.appendChild(el('p', { id: 'hhgate-preview-unavailable', 'class': 'text-secondary mb-0' },
          'The preview is not available on this gateway.'));
        return;
      }
      if (answer.status !== 200 || !answer.body || !Array.isArray(answer.body.kinds)) {
        // The plan's own answer says why in error; the guard's in message.
        var msg = answer.body && (answer.body.error || answer.body.message || answer.body.detail);
        p.preview.appendChild(el('p', { 'class': 'text-danger mb-0' }, 'The preview could not be made' + (msg ? ': ' + msg : '.')));
        return;
      }
      renderPlan(p, answer.body);
    }, function () {
      if (seq === p.previewSeq) {
        p.preview.textContent = 'The preview could not be loaded.';
      }
    });
  }

  function renderPlan(p, plan) {
    var rows = [];
    plan.kinds.forEach(function (k) {
      var create = k.create || [], update = k.update || [], del = k.delete || [];
      if (!create.length && !update.length && !del.length && !k.held && !k.error) {
        return;
      }
      var tr = el('tr', { 'data-kind': k.kind });
      var first = el('td');
      // A kind the user opened stays open when the preview reloads.
      var d = el('details');
      d.open = !!p.openKinds[k.kind];
      d.addEventListener('toggle', function () { p.openKinds[k.kind] = d.open; });
      d.appendChild(el('summary', {}, k.kind));
      var ul = el('ul', { 'class': 'list-unstyled mb-0 ms-3 small' });
      create.forEach(function (o) { ul.appendChild(el('li', {}, '+ ' + o.name)); });
      update.forEach(function (o) {
        ul.appendChild(el('li', {}, '~ ' + o.name + (o.fields && o.fields.length ? ' (' + o.fields.join(', ') + ')' : '')));
      });
      del.forEach(function (o) { ul.appendChild(el('li', {}, '− ' + o.name)); });
      d.appendChild(ul);
      first.appendChild(d);
      tr.appendChild(first);
      tr.appendChild(el('td', { 'class': 'text-success', 'data-count': 'create' }, '+' + number(create.length)));
      tr.appendChild(el('td', { 'class': 'text-warning', 'data-count': 'update' }, '~' + number(update.length)));
      tr.appendChild(el('td', { 'class': 'text-danger', 'data-count': 'delete' }, '−' + number(del.length)));
      var held = k.held ? number(k.held.count) + ' of ' + number(k.held.total) + ' held' : '';
      tr.appendChild(el('td', { 'data-count': 'held' }, k.error ? 'Not readable: ' + k.error : held));
      rows.push(tr);
    });
    var unreadable = Array.isArray(plan.unreadable) ? plan.unreadable : [];
    if (rows.length) {
      p.preview.appendChild(table(['Kind', 'Created', 'Updated', 'Deleted', 'Held prunes'], rows, 'Changes the next sync makes, per kind'));
    } else if (!unreadable.length) {
      p.preview.appendChild(el('p', { id: 'hhgate-preview-empty', 'class': 'text-secondary mb-0' }, 'The next sync changes nothing.'));
    }
    if (unreadable.length) {
      // {kind, side, error}; kind "" is the fabric as a whole (its cluster
      // could not be reached, say).
      var ul = el('ul', { id: 'hhgate-preview-unreadable', 'class': 'text-danger small mb-0 list-unstyled' });
      unreadable.forEach(function (u) {
        var sides = { kubernetes: 'Kubernetes', netbox: 'NetBox', gateway: 'the gateway' };
        ul.appendChild(el('li', {}, 'Not readable (' + (sides[u.side] || u.side || '?') + '): ' +
          (u.kind || 'the fabric') + (u.error ? ' — ' + u.error : '')));
      });
      p.preview.appendChild(ul);
    }
    showReadiness(p, plan.switches);
  }

  function loadJournal(p) {
    var q = '?assigned_object_type=netbox_hedgehog.hedgehogfabric&assigned_object_id=' + p.fabricID + '&ordering=-created&limit=50';
    return nativeFetch.call(window, basePath + 'api/extras/journal-entries/' + q, {
      credentials: 'same-origin', headers: { Accept: 'application/json' }
    }).then(function (res) {
      return res.ok ? res.json() : Promise.reject(res.status);
    }).then(function (body) {
      var entries = (body && body.results || []).filter(function (e) {
        // "Sync from Kubernetes triggered by …", "Scheduled sync from
        // Kubernetes", "Change-driven sync from Kubernetes …" (the controller's).
        return Number(e.assigned_object_id) === p.fabricID && /^(?:[A-Z][a-z-]+ )?sync from Kubernetes/i.test(e.comments || '');
      }).sort(function (a, b) { return toMs(b.created) - toMs(a.created); }).slice(0, 5);
      p.journal.textContent = '';
      if (!entries.length) {
        p.journal.appendChild(el('p', { 'class': 'text-secondary mb-0' }, 'No sync has changed anything yet.'));
        return;
      }
      var colors = { success: 'green', warning: 'yellow', danger: 'red', info: 'azure' };
      var rows = entries.map(function (e) {
        var lines = (e.comments || '').split('\n');
        var tr = el('tr');
        tr.appendChild(el('td', { 'class': 'text-nowrap' }, ago(e.created)));
        var kind = typeof e.kind === 'object' && e.kind ? e.kind.value : e.kind;
        var badgeCell = el('td');
        badgeCell.appendChild(el('span', { 'class': 'badge text-bg-' + (colors[kind] || 'secondary') }, kind || ''));
        tr.appendChild(badgeCell);
        var what = el('td');
        var rest = lines.slice(1).filter(Boolean);
        if (rest.length) {
          var d = el('details');
          d.appendChild(el('summary', {}, lines[0]));
          d.appendChild(el('pre', { 'class': 'small mb-0' }, rest.join('\n')));
          what.appendChild(d);
        } else {
          what.textContent = lines[0];
        }
        tr.appendChild(what);
        return tr;
      });
      p.journal.appendChild(table(['When', 'Outcome', 'What'], rows, 'The last syncs of this fabric'));
    }, function (status) {
      p.journal.textContent = status === 403 ? 'You may not read this fabric\u2019s journal.' : 'The journal could not be read.';
    });
  }

  // connectPanel opens the stream; events carry ids, and a reconnect starts
  // from the current picture, so an event seen already is skipped.
  function connectPanel(p) {
    if (p.source || typeof EventSource === 'undefined') {
      return;
    }
    var source = new EventSource(prefix + 'fabrics/' + p.fabricID + '/events');
    p.source = source;
    source.onopen = function () {
      var first = !p.opened;
      // The first open settles once its preview and journal have answered:
      // those requests reach NetBox too, and a test (or a session clock)
      // must not race them.
      showPanel(p, first ? '' : 'live');
      p.card.removeAttribute('data-refused');
      if (!p.stateShown) {
        // The stream starts with the current state when this gateway has
        // one; without, no sync has run here since it started.
        showState(p, { state: 'idle' });
      }
      if (first) {
        p.opened = true;
        p.details.forEach(function (n) { n.hidden = false; });
        Promise.all([loadPreview(p), loadJournal(p)]).then(function () { settle('live'); });
      }
    };
    function on(type, fn) {
      source.addEventListener(type, function (event) {
        var id = Number(event.lastEventId) || 0;
        if (id && id <= p.lastID) {
          return;
        }
        p.lastID = Math.max(p.lastID, id);
        var data;
        try {
          data = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        fn(data, event);
      });
    }
    on('state', function (data) { showState(p, data); });
    on('progress', function (data) { showProgress(p, data); });
    on('drift', function (data) {
      showDrift(p, data);
      // The preview follows the cluster: once a burst of changes has
      // settled for a second (one plan per burst, not one per change).
      var grew = data.changes > p.driftChanges;
      p.driftChanges = data.changes || 0;
      if (grew && p.opened) {
        clearTimeout(p.driftPreview);
        p.driftPreview = setTimeout(function () {
          if (!p.running) {
            loadPreview(p);
          }
        }, 1000);
      }
    });
    on('finished', function (data) {
      showOutcome(p, data);
      if (p.sawRunning) {
        // A sync this page watched ended: the page's own texts follow.
        refreshPage(p, data);
        loadPreview(p);
        loadJournal(p);
      }
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        p.source = null;
        refused(p);
      }
    };
  }

  // refused: the stream was not allowed; ask why with a plain GET (it is
  // a JSON answer then) and say so, without any of the fabric's data.
  function refused(p) {
    var ctl = typeof AbortController !== 'undefined' ? new AbortController() : null;
    nativeFetch.call(window, prefix + 'fabrics/' + p.fabricID + '/events', {
      credentials: 'same-origin', cache: 'no-store', signal: ctl && ctl.signal
    }).then(function (res) {
      if (res.ok) {
        if (ctl) {
          ctl.abort();
        }
        setTimeout(function () { connectPanel(p); }, 3000);
        return;
      }
      if (res.status === 404) {
        // No native sync behind this gateway: the page stays NetBox's own.
        settle('absent');
        return;
      }
      showPanel(p, 'refused');
      var texts = {
        401: 'Sign in again to see the live status.',
        403: 'You do not have permission to view this fabric\u2019s live status.',
        429: 'Too many live views of fabrics are open; close one and reload this page.'
      };
      p.card.setAttribute('data-refused', String(res.status));
      setBadge(p.state, 'Unavailable', 'secondary');
      p.line.textContent = texts[res.status] || (res.status === 404 ?
        'The live status is not available on this gateway.' : 'The live status is unavailable right now (HTTP ' + res.status + ').');
      p.bar.hidden = true;
      if (res.status >= 500 || res.status === 429) {
        setTimeout(function () { connectPanel(p); }, 30000);
      }
    }, function () {
      setTimeout(function () { connectPanel(p); }, 10000);
    });
  }

  // settle records on <html data-hhgate-panel> what became of the panel
  // (live, refused or absent), so that a test can wait for the page's own
  // requests to be over: "live" is set once the first preview and journal
  // have answered.
  function settle(state) {
    document.documentElement.setAttribute('data-hhgate-panel', state);
  }

  // showPanel places the panel once the gateway answered for the fabric:
  // a page whose gateway has no native sync never shows an empty card.
  function showPanel(p, state) {
    if (!p.card.parentNode) {
      placePanel(p.card);
    }
    if (state) {
      settle(state);
    }
  }

  var panel = null;
  function startPanel() {
    var id = fabricPageID();
    if (!id || panel) {
      return;
    }
    panel = panelUI(id);
    connectPanel(panel);
    hh.panel = panel;
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') {
      refreshSession();
      if (panel && !panel.source && panel.card.getAttribute('data-refused') === '401') {
        connectPanel(panel);
      }
    }
  });
  refreshSession();
  startPanel();
})();
