/*
 * The stand-in's page script: a sliver of NetBox's project-static/src.
 *
 * - apiRequest (util.ts): fetch() with X-CSRFToken, credentials 'same-origin', no Accept; an
 *   answer whose Content-Type contains "text" becomes {error: <text>}, a JSON error
 *   {error: detail}. The token is read at send time: NetBox 3.x's getCsrfToken reads the
 *   csrftoken cookie (CSRF_COOKIE_HTTPONLY is off there), NetBox 4.x sends window.CSRF_TOKEN.
 * - createToast (bs.ts): a toast in the toast area, bottom-right.
 * - the table configuration form (tableConfig.ts): PATCH <base>api/users/config/. NetBox then
 *   reloads the page; the stand-in instead records the outcome in #table-config-status
 *   (data-state "saved" or "error") and shows a toast, so a test sees it on the same page.
 */
(function () {
  'use strict';

  var root = document.documentElement;
  var basePath = '/' + (root.getAttribute('data-netbox-base-path') || '');
  var netbox3 = root.getAttribute('data-netbox-version') === '3';

  function getCsrfToken() {
    if (!netbox3) {
      return window.CSRF_TOKEN;
    }
    var token;
    document.cookie.split(';').forEach(function (pair) {
      var kv = pair.trim().split('=');
      if (kv[0] === 'csrftoken') {
        token = decodeURIComponent(kv.slice(1).join('='));
      }
    });
    if (typeof token === 'undefined') {
      throw new Error('Invalid or missing CSRF token');
    }
    return token;
  }

  function apiRequest(url, method, data) {
    var headers = { 'X-CSRFToken': getCsrfToken() };
    var body;
    if (typeof data !== 'undefined') {
      body = JSON.stringify(data);
      headers['Content-Type'] = 'application/json';
    }
    return fetch(url, { method: method, body: body, headers: headers, credentials: 'same-origin' }).then(function (res) {
      var contentType = res.headers.get('Content-Type') || '';
      if (contentType.indexOf('text') >= 0) {
        return res.text().then(function (error) { return { error: error }; });
      }
      return res.json().then(function (json) {
        if (!res.ok && json && 'detail' in json) {
          return { error: json.detail };
        }
        return json;
      });
    });
  }

  function createToast(level, title, message) {
    var container = document.getElementById('django-messages');
    var toast = document.createElement('div');
    toast.className = 'toast show ' + level;
    toast.setAttribute('role', 'alert');
    var header = document.createElement('div');
    header.className = 'toast-header';
    var strong = document.createElement('strong');
    strong.textContent = title;
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'btn-close';
    close.setAttribute('aria-label', 'Close');
    close.textContent = '×';
    close.addEventListener('click', function () { toast.remove(); });
    header.appendChild(strong);
    header.appendChild(close);
    toast.appendChild(header);
    if (message) {
      var bodyEl = document.createElement('div');
      bodyEl.className = 'toast-body';
      bodyEl.textContent = message;
      toast.appendChild(bodyEl);
    }
    container.appendChild(toast);
    return toast;
  }

  function saveTableConfig(form) {
    var status = document.getElementById('table-config-status');
    var table = form.getAttribute('data-table');
    var columns = Array.prototype.map.call(form.querySelectorAll('input[name="columns"]:checked'), function (i) { return i.value; });
    var data = { tables: {} };
    data.tables[table] = { columns: columns };
    status.setAttribute('data-state', 'saving');
    return apiRequest(basePath + 'api/users/config/', 'PATCH', data).then(function (res) {
      if (res && res.error) {
        status.setAttribute('data-state', 'error');
        status.textContent = String(res.error).slice(0, 200);
        createToast('danger', 'Error Updating Table Configuration', String(res.error).slice(0, 200));
        return;
      }
      status.setAttribute('data-state', 'saved');
      status.textContent = 'Saved: ' + JSON.stringify(res.tables[table].columns);
      createToast('success', 'Table configuration saved', '');
    }, function (err) {
      status.setAttribute('data-state', 'error');
      status.textContent = err.message;
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('table-config');
    if (form) {
      document.getElementById('table-config-save').addEventListener('click', function () { saveTableConfig(form); });
    }
  });

  window.netbox = { apiRequest: apiRequest, createToast: createToast, getCsrfToken: getCsrfToken };
})();
