"""Unsubscribe from a browser (issue 25 item 4): a GET of a
List-Unsubscribe link is sent to the unsubscribe page, whose one button
makes the RFC 8058 POST to that same link; the GET alone changes nothing
(a mail scanner following links unsubscribes no one)."""

import re
import urllib.parse

from privacy_helpers import Pro
from test_privacy import history, marketing, one_click, unsubscribe_path

TEMPLATE = "/v1/unsubscribe/{token}"


def test_a_browser_get_shows_the_page_whose_button_posts(hcpd, api, pg):
    pro = Pro(api, consents={"marketing_email": True})
    path = unsubscribe_path(hcpd, pro, "marketing_email")
    token = path.split("/")[-1].split("?")[0]
    before = len(history(pro))

    r = api.request("GET", path, template=TEMPLATE)
    assert r.status == 303 and r.body == b""
    assert r.headers["location"] == "/account/unsubscribe#token=%s&channel=marketing_email" \
        % token
    assert r.headers["cache-control"] == "no-store"
    # following it, twice even, records nothing: only the POST does
    assert api.request("GET", path, template=TEMPLATE).status == 303
    assert len(history(pro)) == before
    assert marketing(hcpd, "check", pro.id, "marketing_email").returncode == 0

    # the page: one button, in a form the page's script posts to the link
    page = api.request("GET", "/account/unsubscribe", template="/account/{page}")
    assert page.status == 200
    html = page.body.decode()
    assert len(re.findall(r"<button\b", html)) == 1 and 'id="unsubscribe-form"' in html
    script = api.request("GET", "/account/account.js", template="/account/{page}").body.decode()
    assert "'/v1/unsubscribe/' + encodeURIComponent(token) + '?channel='" in script
    assert "'List-Unsubscribe=One-Click'" in script

    # what the button sends, from the fragment the redirect carried
    fragment = urllib.parse.parse_qs(r.headers["location"].split("#", 1)[1])
    post = "/v1/unsubscribe/%s?channel=%s" % (fragment["token"][0], fragment["channel"][0])
    assert one_click(api, post).status == 204
    last = history(pro)[-1]
    assert (last["purpose"], last["granted"], last["source"]) == \
        ("marketing_email", False, "unsubscribe_link")


def test_a_broken_link_is_a_400_and_tells_nothing(api):
    for path in ("/v1/unsubscribe/%s" % ("A" * 43),  # no channel
                 "/v1/unsubscribe/%s?channel=cme_sponsor_sharing" % ("A" * 43),
                 "/v1/unsubscribe/short?channel=marketing_email",
                 "/v1/unsubscribe/%s?channel=marketing_email" % ("A" * 42 + ".")):
        r = api.request("GET", path, template=TEMPLATE)
        assert r.status == 400 and r.is_problem() and "location" not in r.headers, path
    # an unknown token of the right shape: the same page as a real one
    r = api.request("GET", "/v1/unsubscribe/%s?channel=marketing_email" % ("A" * 43),
                    template=TEMPLATE)
    assert r.status == 303
