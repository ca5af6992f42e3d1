/*
 * admin.js - the admin page's core and the review screens: sign in (with
 * a second factor when the account has one), the review queue, one item
 * (profile beside the verification evidence, licence documents,
 * disclosures, decisions) and the decision form. The other screens
 * (accounts, staff, audit log, statistics, ledger, two-factor enrolment)
 * are console.js's, built on the helpers exported here as
 * window.hcpdAdmin. Plain JavaScript calling
 * hcpd's JSON API.
 *
 * The access token lives only in this closure: never in storage or a
 * cookie, so reloading the page signs out. Text from the API is put into
 * the page with textContent only, never parsed as HTML (the CSP also
 * refuses inline script and string-to-HTML sinks). A licence document is
 * fetched with the token and handed to the browser as a download, never
 * shown in the page.
 */
(function () {
  'use strict';

  var token = null;      /* the access token, in memory only */
  var role = null;       /* its role claim: admin, reviewer, auditor or enrolling */
  var current = null;    /* the item shown: {id, etag} */
  var nextCursor = null; /* the queue's next page */

  function $(id) { return document.getElementById(id); }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function say(text, ok) {
    var m = $('message');
    m.textContent = text;
    m.className = ok ? 'ok' : '';
    m.hidden = !text;
  }

  function show(view) {
    Array.prototype.forEach.call(document.querySelectorAll('main > section'), function (s) {
      s.hidden = s.id !== view;
    });
    $('signout').hidden = token === null;
    $('nav').hidden = token === null || role === 'enrolling';
    Array.prototype.forEach.call(document.querySelectorAll('#nav [data-view]'), function (b) {
      b.setAttribute('aria-current', b.dataset.view === view ? 'page' : 'false');
    });
  }

  /* The role claim of an access token (its payload is base64url JSON). */
  function roleOf(jwt) {
    try {
      var p = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(atob(p + '==='.slice((p.length + 3) % 4))).role;
    } catch (e) { return null; }
  }

  /* An API error as a sentence an admin can act on. */
  function explain(status, body) {
    var detail = body && body.detail ? ' (' + body.detail + ')' : '';
    switch (status) {
      case 401: return 'Your session has ended or was refused: sign in again.';
      case 403: return 'Refused: this account is not an admin, or its role does not allow this.';
      case 404: return 'That item is not under review any more, or does not exist.';
      case 409: return 'This decision does not apply to the item' + detail + '.';
      case 412: return 'Another admin changed this item since you opened it. It has been ' +
        'reloaded: check it again before deciding.';
      case 422:
        if (body && body.errors && body.errors.length) {
          return 'Please correct: ' + body.errors.map(function (e) { return e.message; }).join('; ');
        }
        return 'The request was refused as invalid.';
      case 428: return 'The page did not say which version of the item you decided on: reload it.';
      case 429: case 503: return 'The service is busy: try again in a moment.';
      default: return 'Something went wrong (HTTP ' + status + ')' + detail + '.';
    }
  }

  /* Calls the API; resolves to {status, body, etag}. */
  function api(method, path, body, headers) {
    var h = { 'Accept': 'application/json' };
    if (token) h['Authorization'] = 'Bearer ' + token;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(path, {
      method: method, headers: h, credentials: 'omit', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (resp) {
      var etag = resp.headers.get('ETag');
      return resp.text().then(function (text) {
        var parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
        return { status: resp.status, body: parsed, etag: etag };
      });
    });
  }

  /* Handles a failed call: a 401 ends the session, and so does a 403 to a
   * token that is no staff member's (a professional's). */
  function failed(r) {
    var staff = ['admin', 'reviewer', 'auditor', 'enrolling'].indexOf(role) >= 0;
    if (r.status === 401 || (r.status === 403 && !staff)) {
      token = null;
      role = null;
      current = null;
      show('signin-view');
    }
    say(explain(r.status, r.body));
  }

  function waited(seconds) {
    if (seconds < 3600) return Math.max(1, Math.round(seconds / 60)) + ' min';
    if (seconds < 86400 * 2) return Math.round(seconds / 3600) + ' h';
    return Math.round(seconds / 86400) + ' days';
  }

  function when(iso) {
    return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '';
  }

  /* ---- sign-in ---- */

  $('signin-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var creds = { email: $('signin-email').value, password: $('signin-password').value };
    var code = $('signin-code').value.replace(/\s/g, '');
    if (/^[0-9]{6}$/.test(code)) creds.totp = code;
    else if (code) creds.recovery_code = code;
    api('POST', '/v1/sessions', creds).then(function (r) {
      $('signin-password').value = '';
      $('signin-code').value = '';
      if (r.status !== 200) {
        if (r.status === 401 && r.body && /second-factor-required$/.test(r.body.type || '')) {
          $('signin-code-row').hidden = false;
          $('signin-code').focus();
          say('This account also needs the code from its authenticator app (or a recovery ' +
            'code): enter your password again with it.');
          return;
        }
        say(r.status === 401 ? 'Sign-in failed: wrong email, password or code.' : explain(r.status, r.body));
        return;
      }
      token = r.body.access_token;
      role = roleOf(token);
      say('');
      landing();
    }, function () { say('The service cannot be reached.'); });
  });

  /* Where a role starts: what it may see first. */
  function landing() {
    var start = window.hcpdAdmin.start;
    if (window.hcpdAdmin.navFor) window.hcpdAdmin.navFor(role);
    if (role === 'enrolling') start('totp-view');
    else if (role === 'auditor') start('audit-view');
    else loadQueue(false);
  }

  $('signout').addEventListener('click', function () {
    var done = function () {
      token = null;
      role = null;
      current = null;
      show('signin-view');
      say('Signed out.', true);
    };
    api('DELETE', '/v1/sessions/current').then(done, done);
  });

  /* ---- the queue ---- */

  function queuePath(cursor) {
    var q = new URLSearchParams();
    q.set('status', $('filter-status').value);
    if ($('filter-waiting').value) q.set('waiting_for', $('filter-waiting').value);
    if ($('filter-country').value.trim()) q.set('country', $('filter-country').value.trim().toUpperCase());
    if ($('filter-profession').value.trim()) q.set('profession', $('filter-profession').value.trim());
    if ($('filter-reason').value) q.set('reason', $('filter-reason').value);
    if (cursor) q.set('cursor', cursor);
    return '/v1/admin/reviews?' + q.toString();
  }

  function queueRow(item) {
    var tr = el('tr');
    tr.dataset.id = item.id;
    tr.appendChild(el('td', waited(item.waiting_seconds)));
    tr.appendChild(el('td', item.id.slice(0, 8), 'mono'));
    tr.appendChild(el('td', item.country || ''));
    tr.appendChild(el('td', item.profession || ''));
    tr.appendChild(el('td', item.waiting_for === 'professional' ? 'the professional'
      : item.waiting_for === 'admin' ? 'an admin' : item.status));
    var reasons = el('td');
    item.reasons.forEach(function (x) {
      var line = el('div');
      if (x.verifier === null) { /* the account's status reason, e.g. monitoring_refused */
        line.appendChild(el('span', x.reason, 'outcome status-reason'));
      } else {
        line.appendChild(el('span', x.outcome, 'outcome ' + x.outcome));
        line.appendChild(document.createTextNode(' ' + x.verifier + (x.reason ? ': ' + x.reason : '')));
      }
      reasons.appendChild(line);
    });
    tr.appendChild(reasons);
    var open = el('td');
    var b = el('button', 'Open', 'quiet');
    b.type = 'button';
    b.addEventListener('click', function () { loadItem(item.id); });
    open.appendChild(b);
    tr.appendChild(open);
    return tr;
  }

  function loadQueue(more) {
    return api('GET', queuePath(more ? nextCursor : null)).then(function (r) {
      if (r.status !== 200) { failed(r); return; }
      var tbody = $('queue-body');
      if (!more) clear(tbody);
      r.body.items.forEach(function (item) { tbody.appendChild(queueRow(item)); });
      nextCursor = r.body.next_cursor;
      $('queue-more').hidden = !nextCursor;
      $('queue-empty').hidden = tbody.children.length > 0;
      current = null;
      show('queue-view');
    }, function () { say('The service cannot be reached.'); });
  }

  $('filter-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    say('');
    loadQueue(false);
  });
  $('queue-more').addEventListener('click', function () { loadQueue(true); });
  $('back').addEventListener('click', function () { say(''); loadQueue(false); });

  /* ---- one item ---- */

  /* Fields some verifier did not find matching: marked in the profile. */
  function doubtful(item) {
    var fields = {};
    item.verifications.forEach(function (v) {
      Object.keys(v.checks || {}).forEach(function (f) {
        if (v.checks[f] !== 'match') fields[f] = true;
      });
    });
    return fields;
  }

  function pair(dl, key, value, cls) {
    var dt = el('dt', key), dd = el('dd', value);
    if (cls) { dt.className = cls; dd.className = cls; }
    dl.appendChild(dt);
    dl.appendChild(dd);
  }

  function showProfile(item) {
    var dl = $('profile');
    clear(dl);
    if (!item.profile) {
      pair(dl, 'profile', 'erased: no personal value can be opened');
      return;
    }
    var marked = doubtful(item);
    pair(dl, 'email', item.email + (item.email_verified ? ' (confirmed)' : ' (not confirmed)'));
    Object.keys(item.profile).sort().forEach(function (k) {
      pair(dl, k, item.profile[k], marked[k] ? 'flag' : '');
    });
    pair(dl, 'registered', when(item.registered_at));
    if (item.processing_restricted) pair(dl, 'restriction', 'processing is restricted', 'flag');
  }

  function showValue(dl, key, value) {
    if (value !== null && typeof value === 'object') {
      Object.keys(value).forEach(function (k) { showValue(dl, key + ' / ' + k, value[k]); });
      return;
    }
    pair(dl, key, value === null ? '(none)' : String(value));
  }

  function showEvidence(item) {
    var box = $('evidence');
    clear(box);
    if (!item.verifications.length) box.appendChild(el('p', 'No verification has finished yet.', 'hint'));
    item.verifications.forEach(function (v) {
      var card = el('div', null, 'card');
      var head = el('h4');
      head.appendChild(el('span', v.outcome, 'outcome ' + v.outcome));
      head.appendChild(document.createTextNode(' ' + v.verifier + (v.occasion ? ' (' + v.occasion + ')' : '')));
      card.appendChild(head);
      var dl = el('dl', null, 'pairs');
      pair(dl, 'reason', v.reason || '');
      pair(dl, 'checked', when(v.checked_at));
      Object.keys(v.checks || {}).forEach(function (f) {
        pair(dl, 'check: ' + f, v.checks[f], v.checks[f] === 'match' ? '' : 'flag');
      });
      if (v.evidence === null) pair(dl, 'evidence', '(none kept)');
      else showValue(dl, 'evidence', v.evidence);
      card.appendChild(dl);
      if (v.reply_sha256) {
        card.appendChild(el('p', 'registry reply SHA-256', 'hint'));
        card.appendChild(el('p', v.reply_sha256, 'mono'));
      }
      box.appendChild(card);
    });
  }

  /* Issue 19: the registers an admin searches by hand. A link opens in a
   * new tab without this page as its opener; only http(s) links are made. */
  function showManual(item) {
    var box = $('manual-checks');
    var checks = item.manual_checks || [];
    clear(box);
    $('manual-section').hidden = checks.length === 0;
    checks.forEach(function (m) {
      var card = el('div', null, 'card manual-check');
      card.appendChild(el('h4', m.display_name));
      if (m.link && /^https?:\/\//.test(m.link)) {
        var a = el('a', 'Open the register\u2019s search page', 'register-link');
        a.href = m.link;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        card.appendChild(a);
      } else {
        card.appendChild(el('p', 'No public search page is known: reach the register from its own site.', 'hint'));
      }
      card.appendChild(el('p', m.instructions, 'instructions'));
      var dl = el('dl', null, 'pairs');
      pair(dl, 'compare', m.compare.join(', '));
      pair(dl, 'sources', m.source.join(' \u2022 '));
      card.appendChild(dl);
      box.appendChild(card);
    });
  }

  function row(tbody, cells) {
    var tr = el('tr');
    cells.forEach(function (c) { tr.appendChild(el('td', c)); });
    tbody.appendChild(tr);
  }

  function size(bytes) {
    if (bytes < 1024) return bytes + ' B';
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + ' KiB';
    return (bytes / 1024 / 1024).toFixed(1) + ' MiB';
  }

  /* Fetches a document with the token and saves it under its own name. */
  function download(doc) {
    var name = 'document-' + doc.id;
    fetch('/v1/admin/documents/' + encodeURIComponent(doc.id), {
      headers: { 'Authorization': 'Bearer ' + token }, credentials: 'omit', cache: 'no-store'
    }).then(function (resp) {
      if (!resp.ok) {
        return resp.text().then(function (text) {
          var body = null;
          try { body = JSON.parse(text); } catch (e) { body = null; }
          failed({ status: resp.status, body: body });
        });
      }
      var m = /filename="([A-Za-z0-9.-]+)"/.exec(resp.headers.get('Content-Disposition') || '');
      if (m) name = m[1];
      return resp.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = el('a');
        a.href = url;
        a.download = name;
        a.hidden = true;
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
        say('Saved ' + name + ' (the download is in the audit log).', true);
      });
    }, function () { say('The service cannot be reached.'); });
  }

  function showDocuments(item) {
    var tbody = $('documents');
    clear(tbody);
    item.documents.forEach(function (doc) {
      var tr = el('tr');
      tr.dataset.document = doc.id;
      tr.appendChild(el('td', when(doc.uploaded_at)));
      tr.appendChild(el('td', doc.content_type));
      tr.appendChild(el('td', size(doc.size)));
      tr.appendChild(el('td', doc.id, 'mono'));
      var cell = el('td');
      var b = el('button', 'Download', 'quiet');
      b.type = 'button';
      b.addEventListener('click', function () { download(doc); });
      cell.appendChild(b);
      tr.appendChild(cell);
      tbody.appendChild(tr);
    });
    $('documents-table').hidden = item.documents.length === 0;
    $('documents-none').hidden = item.documents.length > 0;
  }

  function showHistory(item) {
    var d = $('decisions'), s = $('disclosures'), p = $('responses');
    clear(d); clear(s); clear(p);
    item.decisions.forEach(function (x) {
      row(d, [when(x.decided_at), x.decision + (x.document_requested ? ' (document asked for)' : ''),
        x.from_status + ' \u2192 ' + x.to_status, x.admin_id.slice(0, 8), x.reason]);
    });
    if (!item.decisions.length) row(d, ['', 'none yet', '', '', '']);
    item.disclosures.forEach(function (x) {
      row(s, [when(x.disclosed_at), x.recipient, x.fields.join(', '), x.purpose, x.terms_version]);
    });
    if (!item.disclosures.length) row(s, ['', 'none', '', '', '']);
    item.responses.forEach(function (x) {
      var text = x.document_id !== null ? '(uploaded document ' + x.document_id.slice(0, 8) + ')'
        : x.message === null ? '(cannot be opened)' : x.message;
      p.appendChild(el('li', when(x.received_at) + ': ' + text));
    });
    $('responses-none').hidden = item.responses.length > 0;
  }

  function loadItem(id) {
    return api('GET', '/v1/admin/reviews/' + encodeURIComponent(id)).then(function (r) {
      if (r.status !== 200) { failed(r); return; }
      var item = r.body;
      current = { id: item.id, etag: r.etag };
      $('detail-id').textContent = item.id;
      $('detail-summary').textContent = 'Status ' + item.status +
        (item.waiting_for ? ', waiting for ' + (item.waiting_for === 'admin' ? 'an admin' : 'the professional') +
          ' for ' + waited(item.waiting_seconds) : '') + '.';
      showProfile(item);
      showManual(item);
      showEvidence(item);
      showDocuments(item);
      showHistory(item);
      $('decision-form').reset();
      show('detail-view');
    }, function () { say('The service cannot be reached.'); });
  }

  $('decision-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var chosen = document.querySelector('input[name="decision"]:checked');
    if (!current || !chosen) return;
    var id = current.id;
    var body = { decision: chosen.value, reason: $('decision-reason').value };
    if (chosen.value === 'request_info' && $('decision-document').checked) body.document_requested = true;
    api('POST', '/v1/admin/reviews/' + encodeURIComponent(id) + '/decision', body,
      { 'If-Match': current.etag }).then(function (r) {
      if (r.status === 200) {
        loadQueue(false).then(function () {
          say('Recorded: item ' + id.slice(0, 8) + ' is now ' + r.body.status +
            (r.body.waiting_for === 'professional' ? ', waiting for the professional' : '') + '.', true);
        });
        return;
      }
      if (r.status === 412) {
        loadItem(id).then(function () { say(explain(412, r.body)); });
        return;
      }
      failed(r);
    }, function () { say('The service cannot be reached.'); });
  });

  $('nav').addEventListener('click', function (ev) {
    var b = ev.target.closest('button[data-view]');
    if (!b) return;
    say('');
    if (b.dataset.view === 'queue-view') loadQueue(false);
    else window.hcpdAdmin.start(b.dataset.view);
  });

  /* for console.js */
  window.hcpdAdmin = {
    api: api, say: say, explain: explain, failed: failed, show: show, el: el, clear: clear,
    when: when, pair: pair, row: row, role: function () { return role; },
    signedOut: function () { token = null; role = null; show('signin-view'); },
    start: function () {}
  };

  show('signin-view');
}());
