"""Issue 24: the words of a reply in the reader's language. Accept-Language
(RFC 9110 12.5.4, RFC 4647 lookup) chooses it; problem titles, details and
errors[].message are translated while type, code, field and status stay
the same; an unshipped or malformed choice is English; the reply says
Content-Language and Vary: Accept-Language."""

import glob
import os

from conftest import ROOT, registration

SHIPPED = sorted(os.path.basename(p)[:-3].replace("_", "-")
                 for p in glob.glob(os.path.join(ROOT, "services/po/*.po")))


def bad_registration(api, lang=None):
    body = registration("i18n-bad@example.org", given_name=42)
    body["password"] = "short"
    headers = {"Accept-Language": lang} if lang is not None else {}
    r = api.register(body, headers=headers)
    assert r.status == 422 and r.is_problem()
    return r


def not_found(api, lang=None):
    headers = {"Accept-Language": lang} if lang is not None else {}
    r = api.request("GET", "/v1/no-such-thing", headers=headers, check=False)
    assert r.status == 404 and r.is_problem()
    return r


def shape(r):
    """What never changes with the language."""
    j = r.json
    return (j["type"], j["status"],
            sorted((e["field"], e["code"]) for e in j.get("errors", [])))


def test_french_problems_keep_type_and_code(api):
    en = bad_registration(api)
    fr = bad_registration(api, "fr-BE, fr;q=0.9, en;q=0.5")
    assert shape(fr) == shape(en)
    assert en.json["title"] == "Unprocessable Content"
    assert fr.json["title"] == "Contenu impossible à traiter"
    assert fr.json["detail"] == "la requête contient des champs non valides ; voir errors"
    msgs = {e["code"]: e["message"] for e in fr.json["errors"]}
    assert msgs["too_short"] == ("utilisez au moins 15 caractères ; quelques mots sans rapport "
                                 "entre eux conviennent bien")
    assert msgs["type"] == "doit être une chaîne de caractères"
    assert fr.headers["content-language"] == "fr"
    assert en.headers["content-language"] == "en"
    for r in (en, fr):
        assert "accept-language" in r.headers["vary"].lower()


def test_every_shipped_language_translates_titles(api):
    assert {"fr", "nl", "de"} <= set(SHIPPED)
    english = not_found(api).json
    for lang in SHIPPED:
        r = not_found(api, lang)
        assert r.headers["content-language"] == lang
        assert r.json["type"] == english["type"]
        assert r.json["title"] != english["title"], lang
        assert r.json["detail"] != english["detail"], lang


def test_dutch_and_german_pick_their_own(api):
    assert not_found(api, "nl-BE").json["title"] == "Niet gevonden"
    assert not_found(api, "de-CH;q=0.7, nl;q=0.3").json["title"] == "Nicht gefunden"


def test_unshipped_or_malformed_is_english(api):
    english = not_found(api).json
    for header in ("ja", "pt-BR, es;q=0.5", "*", "fr;q=0", "fr;q=2", "fr de", ";;;",
                   "x" * 4000, "fr_FR"):
        r = not_found(api, header)
        assert r.headers["content-language"] == "en", header
        assert r.json["title"] == english["title"] and r.json["detail"] == english["detail"]


def test_replies_without_text_say_no_language(api):
    r = api.request("GET", "/healthz", headers={"Accept-Language": "fr"})
    assert r.status == 200
    assert "content-language" not in r.headers
