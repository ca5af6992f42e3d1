/*
 * account.js - hcpd's account pages: confirm an address, reset a
 * password, cancel an email change, unsubscribe. Plain JavaScript calling
 * hcpd's JSON API from the same origin.
 *
 * A link's token arrives in the URL fragment (#token=...), which browsers
 * never send to a server: it is read once, then taken out of the address
 * bar and history before anything else happens. Nothing is stored; text
 * goes into the page with textContent only (the CSP refuses the rest).
 *
 * Words come in the reader's language (issue 24): /account/strings.json
 * (negotiated from the browser's Accept-Language) maps each English text
 * to its translation; elements marked data-t and every message below go
 * through t(). Without it (an old server, a network error) the page stays
 * English.
 */
(function () {
  'use strict';

  function $(id) { return document.getElementById(id); }

  /* The fragment's parameters, then the fragment gone from the URL. */
  var params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  if (window.location.hash) {
    window.history.replaceState(null, '', window.location.pathname);
  }
  var token = params.get('token');
  var strings = {};

  /* text in the reader's language; %s replaced by arg */
  function t(text, arg) {
    var s = Object.prototype.hasOwnProperty.call(strings, text) ? strings[text] : text;
    return arg === undefined ? s : s.replace('%s', String(arg));
  }

  /* Each data-t element's text, white space runs made one, translated. */
  function translatePage(language) {
    document.documentElement.lang = language;
    var marked = document.querySelectorAll('[data-t]');
    for (var i = 0; i < marked.length; i++) {
      marked[i].textContent = t(marked[i].textContent.replace(/\s+/g, ' ').trim());
    }
  }

  function say(text, ok) {
    var m = $('message');
    m.textContent = text;
    m.className = ok ? 'ok' : '';
    m.hidden = !text;
  }

  /* An API refusal as a sentence. */
  function explain(status, body) {
    if (status === 400 && body && body.type === 'urn:hcpd:problem:invalid-token') {
      return t('This link does not work any more: it was used already, has expired, or a ' +
        'newer one was sent. Ask for a new one.');
    }
    if (status === 422 && body && body.errors && body.errors.length) {
      return body.errors.map(function (e) { return e.message; }).join('; ');
    }
    if (status === 429) return t('Too many attempts: wait a little, then try again.');
    return t('That did not work (%s). Try again later.', status);
  }

  /* POSTs body to path; then(status, json) once it answers. */
  function post(path, body, then, ctype) {
    var json = ctype === undefined;
    fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': json ? 'application/json' : ctype },
      body: json ? JSON.stringify(body) : body,
      credentials: 'omit',
      cache: 'no-store'
    }).then(function (r) {
      return r.text().then(function (t) {
        var parsed = null;
        try { parsed = t ? JSON.parse(t) : null; } catch (e) { parsed = null; }
        then(r.status, parsed);
      });
    }).catch(function () {
      then(0, null);
    });
  }

  /* Shows form and runs act(done) on submit; done(ok, text) ends it. */
  function offer(formId, act) {
    var form = $(formId);
    form.hidden = false;
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var button = form.querySelector('button');
      button.disabled = true;
      act(function (ok, text) {
        say(text, ok);
        if (ok) form.hidden = true;
        else button.disabled = false;
      });
    });
  }

  function needToken() {
    if (token) return true;
    say(t('This page opens from the link in your email; that link is incomplete.'), false);
    return false;
  }

  var pages = {
    'confirm-email': function () {
      if (!needToken()) return;
      offer('confirm-form', function (done) {
        post('/v1/email-confirmations', { token: token }, function (status, body) {
          if (status === 204) done(true, t('Thank you: your email address is confirmed.'));
          else done(false, explain(status, body));
        });
      });
    },
    'reset-password': function () {
      if (!token) {
        offer('request-form', function (done) {
          post('/v1/password-resets', { email: $('request-email').value }, function (status, body) {
            if (status === 202) {
              done(true, t('If this address has an account, a mail with a link is on its way. ' +
                'The link works for 30 minutes.'));
            } else {
              done(false, explain(status, body));
            }
          });
        });
        return;
      }
      offer('reset-form', function (done) {
        var password = $('reset-password').value;
        if (password !== $('reset-again').value) {
          done(false, t('The two passwords differ.'));
          return;
        }
        post('/v1/password-resets/confirm', { token: token, password: password },
          function (status, body) {
            if (status === 204) {
              done(true, t('Your new password is set. Every device was signed out: sign in ' +
                'again with the new password.'));
            } else {
              done(false, explain(status, body));
            }
          });
      });
    },
    'cancel-email-change': function () {
      if (!needToken()) return;
      offer('cancel-form', function (done) {
        post('/v1/email-changes/cancel', { token: token }, function (status, body) {
          if (status === 204) {
            done(true, t('The change is cancelled and every device signed out. Choose a new ' +
              'password now: someone else knew yours.'));
          } else {
            done(false, explain(status, body));
          }
        });
      });
    },
    'unsubscribe': function () {
      var channel = params.get('channel');
      if (!needToken() || !channel) {
        if (token) say(t('This page opens from the link in your email; that link is incomplete.'), false);
        return;
      }
      offer('unsubscribe-form', function (done) {
        post('/v1/unsubscribe/' + encodeURIComponent(token) + '?channel=' +
          encodeURIComponent(channel), 'List-Unsubscribe=One-Click', function (status, body) {
          if (status === 204) done(true, t('You are unsubscribed.'));
          else done(false, explain(status, body));
        }, 'application/x-www-form-urlencoded');
      });
    }
  };

  var page = pages[document.body.dataset.page];
  fetch('/account/strings.json', { credentials: 'omit', cache: 'no-store' })
    .then(function (r) { return r.ok ? r.json() : null; })
    .catch(function () { return null; })
    .then(function (doc) {
      if (doc && doc.strings) {
        strings = doc.strings;
        translatePage(doc.language);
      }
      if (page) page();
    });
}());
