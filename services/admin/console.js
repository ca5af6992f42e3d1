/*
 * console.js - the admin console's screens beside the review queue
 * (admin.js): find accounts, one account with its history and the
 * actions on it, the staff, the audit log, the statistics, the disclosure
 * ledger with its export, and enrolling a second factor. Built on
 * admin.js's helpers (window.hcpdAdmin); like it, it puts API text into
 * the page with textContent only (the QR code is drawn as SVG elements
 * from its path data, never parsed from a string).
 */
(function () {
  'use strict';

  var A = window.hcpdAdmin;
  var el = A.el, clear = A.clear, when = A.when;
  var account = null;   /* the account shown: {id, etag} */
  var auditCursor = null;
  var ledgerCursor = null;

  function $(id) { return document.getElementById(id); }

  function offline() { A.say('The service cannot be reached.'); }

  /* Which screens each role has (the server refuses the rest anyway). */
  var screens = {
    admin: ['queue-view', 'accounts-view', 'staff-view', 'audit-view', 'stats-view', 'ledger-view', 'totp-view'],
    reviewer: ['queue-view', 'accounts-view', 'totp-view'],
    auditor: ['audit-view', 'stats-view', 'ledger-view', 'totp-view'],
    enrolling: ['totp-view']
  };

  function navFor(role) {
    var mine = screens[role] || [];
    Array.prototype.forEach.call(document.querySelectorAll('#nav [data-view]'), function (b) {
      b.hidden = mine.indexOf(b.dataset.view) < 0;
    });
  }

  function cells(tbody, values) {
    var tr = el('tr');
    values.forEach(function (v) {
      var td = el('td');
      if (v instanceof Node) td.appendChild(v); else td.textContent = v === null || v === undefined ? '' : String(v);
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
    return tr;
  }

  function button(text, onClick, cls) {
    var b = el('button', text, cls || 'quiet');
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  /* ---- accounts: search ---- */

  function searchPath() {
    var q = new URLSearchParams();
    var v = function (id) { return $(id).value.trim(); };
    if (v('s-email')) q.set('email', v('s-email'));
    if (v('s-family')) q.set('family_name', v('s-family'));
    if (v('s-id-value')) q.set($('s-id-field').value, v('s-id-value'));
    if ($('s-status').value) q.set('status', $('s-status').value);
    if (v('s-country')) q.set('country', v('s-country').toUpperCase());
    if (v('s-profession')) q.set('profession', v('s-profession'));
    if (v('s-reason')) q.set('reason', v('s-reason'));
    if (v('s-after')) q.set('created_after', v('s-after'));
    if (v('s-before')) q.set('created_before', v('s-before'));
    if ($('s-personal').checked) q.set('fields', 'name,email');
    return '/v1/admin/accounts?' + q.toString();
  }

  function search() {
    return A.api('GET', searchPath()).then(function (r) {
      if (r.status !== 200) { A.failed(r); return; }
      var tbody = $('accounts-body');
      clear(tbody);
      r.body.items.forEach(function (a) {
        var name = a.family_name !== undefined ? [a.given_name, a.family_name].join(' ') : '';
        cells(tbody, [a.id.slice(0, 8), a.status + (a.status_reason ? ' (' + a.status_reason + ')' : ''),
          a.country, a.profession, a.email || '', name, when(a.created_at),
          button('Open', function () { openAccount(a.id); })]);
      });
      $('accounts-empty').hidden = r.body.items.length > 0;
      A.show('accounts-view');
    }, offline);
  }

  $('search-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    A.say('');
    search();
  });

  /* ---- one account ---- */

  function showAccount(a) {
    $('account-id').textContent = a.id;
    $('account-summary').textContent = 'Status ' + a.status +
      (a.status_reason ? ' (' + a.status_reason + ')' : '') + (a.erased_at ? ', erased ' + when(a.erased_at) : '') + '.';
    var dl = $('account-profile');
    clear(dl);
    A.pair(dl, 'email', a.email === null ? '(erased)' : a.email + (a.email_verified ? ' (confirmed)' : ' (not confirmed)'));
    Object.keys(a.profile || {}).sort().forEach(function (k) { A.pair(dl, k, a.profile[k]); });
    A.pair(dl, 'registered', when(a.registered_at));
    A.pair(dl, 'sessions', a.sessions.live + ' live, last sign-in ' + (when(a.sessions.last_sign_in) || 'never'));
    A.pair(dl, 'restriction', a.processing_restricted ? 'processing is restricted' : 'none');
    A.pair(dl, 'legal hold', a.legal_hold.held ? 'since ' + when(a.legal_hold.since) + ': ' + (a.legal_hold.reason || '') : 'none');
    A.pair(dl, 'consents', Object.keys(a.consents).filter(function (k) { return a.consents[k]; }).join(', ') || 'none');
    A.pair(dl, 'verifications', a.verifications.map(function (v) { return v.verifier + ': ' + v.outcome; }).join('; ') || 'none yet');
    A.pair(dl, 'disclosures', String(a.disclosures.length));
    var h = $('account-history');
    clear(h);
    a.status_history.forEach(function (x) {
      cells(h, [when(x.changed_at), x.from_status + ' \u2192 ' + x.to_status, x.event, x.reason || '',
        x.actor === 'system' ? 'system' : x.actor.slice(0, 8), x.note || '']);
    });
    if (!a.status_history.length) cells(h, ['', 'no change yet', '', '', '', '']);
  }

  function openAccount(id) {
    return A.api('GET', '/v1/admin/accounts/' + encodeURIComponent(id)).then(function (r) {
      if (r.status !== 200) { A.failed(r); return; }
      account = { id: r.body.id, etag: r.etag };
      showAccount(r.body);
      $('action-form').reset();
      $('action-form').hidden = A.role() !== 'admin';
      A.show('account-view');
    }, offline);
  }

  $('account-back').addEventListener('click', function () { A.say(''); search(); });

  $('action-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!account) return;
    var id = account.id;
    var body = { action: $('action-name').value, reason: $('action-reason').value };
    A.api('POST', '/v1/admin/accounts/' + encodeURIComponent(id) + '/actions', body,
      { 'If-Match': account.etag }).then(function (r) {
      if (r.status === 200) {
        openAccount(id).then(function () {
          A.say('Done: ' + r.body.action.replace('_', ' ') + '; the account is now ' + r.body.status +
            (r.body.action === 'revoke_sessions' ? ' (' + r.body.sessions_revoked + ' sessions ended)' : '') + '.', true);
        });
        return;
      }
      if (r.status === 412) {
        openAccount(id).then(function () { A.say(A.explain(412, r.body)); });
        return;
      }
      A.say(r.status === 409 ? 'Not done: ' + (r.body && r.body.detail ? r.body.detail : 'the account\u2019s status does not allow it') + '.'
        : A.explain(r.status, r.body));
      if (r.status === 401) A.signedOut();
    }, offline);
  });

  /* ---- staff ---- */

  function loadStaff() {
    return A.api('GET', '/v1/admin/admins').then(function (r) {
      if (r.status !== 200) { A.failed(r); return; }
      var tbody = $('staff-body');
      clear(tbody);
      r.body.items.forEach(function (s) {
        var act = s.disabled ? el('span', 'disabled ' + when(s.disabled_at)) : button('Disable', function () {
          A.api('POST', '/v1/admin/admins/' + encodeURIComponent(s.id) + '/disable').then(function (d) {
            if (d.status !== 200) { A.say(A.explain(d.status, d.body)); return; }
            loadStaff().then(function () { A.say('Disabled ' + (s.email || s.id) + ': their sessions have ended.', true); });
          }, offline);
        });
        cells(tbody, [s.email || '(erased)', s.role, s.totp ? 'yes' : 'no', when(s.created_at), act]);
      });
      A.show('staff-view');
    }, offline);
  }

  $('staff-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var body = { email: $('staff-email').value, role: $('staff-role').value, password: $('staff-password').value };
    A.api('POST', '/v1/admin/admins', body).then(function (r) {
      $('staff-password').value = '';
      if (r.status !== 201) { A.say(A.explain(r.status, r.body)); return; }
      $('staff-form').reset();
      loadStaff().then(function () { A.say('Made ' + r.body.email + ' (' + r.body.role + ').', true); });
    }, offline);
  });

  /* ---- audit log ---- */

  function loadAudit(more) {
    var q = new URLSearchParams();
    if ($('audit-action').value.trim()) q.set('action', $('audit-action').value.trim());
    if ($('audit-target').value.trim()) q.set('target', $('audit-target').value.trim());
    if (more && auditCursor) q.set('cursor', auditCursor);
    return A.api('GET', '/v1/admin/audit?' + q.toString()).then(function (r) {
      if (r.status !== 200) { A.failed(r); return; }
      var tbody = $('audit-body');
      if (!more) clear(tbody);
      r.body.items.forEach(function (x) {
        cells(tbody, [when(x.created_at), x.actor.length > 12 ? x.actor.slice(0, 8) : x.actor, x.action,
          x.target ? String(x.target).slice(0, 8) : '', x.reason || '', JSON.stringify(x.details || {})]);
      });
      auditCursor = r.body.next_cursor;
      $('audit-more').hidden = !auditCursor;
      A.show('audit-view');
    }, offline);
  }

  $('audit-form').addEventListener('submit', function (ev) { ev.preventDefault(); A.say(''); loadAudit(false); });
  $('audit-more').addEventListener('click', function () { loadAudit(true); });

  /* ---- statistics ---- */

  function loadStats() {
    var by = $('stats-by').value.trim();
    return A.api('GET', '/v1/admin/stats' + (by ? '?by=' + encodeURIComponent(by) : '')).then(function (r) {
      if (r.status !== 200) { A.failed(r); return; }
      var head = $('stats-head'), body = $('stats-body');
      clear(head); clear(body);
      var cols = r.body.by.concat(['count']);
      var tr = el('tr');
      cols.forEach(function (c) { tr.appendChild(el('th', c)); });
      head.appendChild(tr);
      r.body.cells.forEach(function (c) { cells(body, cols.map(function (k) { return c[k] === null ? '(none)' : c[k]; })); });
      $('stats-note').textContent = 'Groups of fewer than ' + r.body.min_cell + ' professionals are left out of every figure.';
      A.show('stats-view');
    }, offline);
  }

  $('stats-form').addEventListener('submit', function (ev) { ev.preventDefault(); A.say(''); loadStats(); });

  /* ---- the disclosure ledger and its export ---- */

  function loadLedger(more) {
    var q = new URLSearchParams();
    if ($('ledger-recipient').value.trim()) q.set('recipient', $('ledger-recipient').value.trim());
    if ($('ledger-subject').value.trim()) q.set('subject', $('ledger-subject').value.trim());
    if (more && ledgerCursor) q.set('cursor', ledgerCursor);
    return A.api('GET', '/v1/admin/disclosures?' + q.toString()).then(function (r) {
      if (r.status !== 200) { A.failed(r); return; }
      var tbody = $('ledger-body');
      if (!more) clear(tbody);
      r.body.items.forEach(function (d) {
        cells(tbody, [when(d.disclosed_at), d.recipient, String(d.subject || '').slice(0, 8),
          (d.fields || []).join(', '), d.purpose, d.terms_version]);
      });
      ledgerCursor = r.body.next_cursor;
      $('ledger-more').hidden = !ledgerCursor;
      $('export-form').hidden = A.role() !== 'admin';
      A.show('ledger-view');
    }, offline);
  }

  $('ledger-form').addEventListener('submit', function (ev) { ev.preventDefault(); A.say(''); loadLedger(false); });
  $('ledger-more').addEventListener('click', function () { loadLedger(true); });

  $('export-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var list = function (id) { return $(id).value.split(/[\s,]+/).filter(Boolean); };
    var body = { recipient: $('export-recipient').value.trim(), purpose: $('export-purpose').value.trim(),
      fields: list('export-fields'), accounts: list('export-accounts') };
    A.api('POST', '/v1/admin/disclosures', body).then(function (r) {
      if (r.status !== 200) { A.say(A.explain(r.status, r.body)); return; }
      var out = $('export-result');
      out.textContent = JSON.stringify(r.body, null, 2);
      out.hidden = false;
      loadLedger(false).then(function () { A.say('Exported; every release is in the ledger below.', true); });
    }, offline);
  });

  /* ---- two-factor enrolment ---- */

  /* The QR code: the server's SVG path drawn as SVG elements. */
  function drawQr(svgText) {
    var box = $('totp-qr');
    clear(box);
    var d = /\sd="([^"]*)"/.exec(svgText), vb = /viewBox="([0-9 ]+)"/.exec(svgText);
    if (!d || !vb) return;
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', vb[1]);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'QR code of the enrolment link');
    var bg = document.createElementNS(ns, 'rect');
    bg.setAttribute('width', '100%');
    bg.setAttribute('height', '100%');
    bg.setAttribute('fill', '#fff');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d[1]);
    svg.appendChild(bg);
    svg.appendChild(path);
    box.appendChild(svg);
  }

  $('totp-begin').addEventListener('click', function () {
    A.api('POST', '/v1/admin/me/totp').then(function (r) {
      if (r.status !== 201) { A.say(r.status === 409 ? 'A second factor is enrolled already.' : A.explain(r.status, r.body)); return; }
      drawQr(r.body.qr_svg);
      $('totp-secret').textContent = r.body.secret;
      $('totp-uri').textContent = r.body.otpauth_uri;
      $('totp-step2').hidden = false;
      $('totp-code').focus();
    }, offline);
  });

  $('totp-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    A.api('POST', '/v1/admin/me/totp/confirm', { code: $('totp-code').value.trim() }).then(function (r) {
      if (r.status !== 200) { A.say(A.explain(r.status, r.body)); return; }
      var list = $('totp-recovery');
      clear(list);
      r.body.recovery_codes.forEach(function (c) { list.appendChild(el('li', c, 'mono')); });
      $('totp-done').hidden = false;
      $('totp-step2').hidden = true;
      A.say('Two-factor sign-in is on. Keep the recovery codes somewhere safe: they are shown only now.' +
        (A.role() === 'enrolling' ? ' Sign in again with a code.' : ''), true);
    }, offline);
  });

  /* Opens a screen, loading what it shows. */
  A.start = function (view) {
    navFor(A.role());
    if (view === 'accounts-view') { clear($('accounts-body')); $('accounts-empty').hidden = true; A.show(view); $('s-email').focus(); }
    else if (view === 'staff-view') loadStaff();
    else if (view === 'audit-view') loadAudit(false);
    else if (view === 'stats-view') loadStats();
    else if (view === 'ledger-view') loadLedger(false);
    else if (view === 'totp-view') {
      $('totp-step2').hidden = true;
      $('totp-done').hidden = true;
      A.show(view);
    }
  };
  A.navFor = navFor;
}());
