"""Issue 24: the words of a reply in the reader's language. Accept-Language
(RFC 9110 12.5.4, RFC 4647 lookup) chooses it; problem titles, details and
errors[].message are translated while type, code, field and status stay
the same; an unshipped or malformed choice is English; the reply says
Content-Language and Vary: Accept-Language."""

import glob
import json
import os
import re
import shutil
import time

import pytest

from conftest import ROOT, registration
from test_countries import body_from
from reviewkit import PRO_PASSWORD
from test_email import LINK_RE, smtp, unique_email  # noqa: F401 (smtp: a fixture)


def login_as(api, address):
    r = api.request("POST", "/v1/sessions", body={"email": address, "password": PRO_PASSWORD})
    assert r.status == 200, r.body
    return r.json["access_token"]

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


def belgian_nurse(api, email, **extra):
    """A registration of a Belgian nurse made of the resolved schema's
    own examples (test_countries.body_from)."""
    r = api.request("GET", "/v1/registration/schema?country=BE&profession=nurse",
                    template="/v1/registration/schema")
    assert r.status == 200
    body = body_from(r.json, email)
    body.update(extra)
    return body


def test_a_dutch_speaking_belgian_nurse_gets_her_confirmation_in_dutch(stack, smtp):
    sink, port = smtp
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port})
    address = unique_email("verpleegster")
    r = h.api.register(belgian_nurse(h.api, address),
                       headers={"Accept-Language": "nl-BE, nl;q=0.9, fr;q=0.5"})
    assert r.status == 202, r.body
    [mail] = sink.wait_for(address, "Bevestig uw e-mailadres")
    msg = mail["msg"]
    assert msg["Subject"] == "Bevestig uw e-mailadres"
    assert msg["Content-Language"] == "nl"
    assert msg.get_content_charset() == "utf-8"
    text = msg.get_content().replace("\r\n", "\n")  # base64 keeps the CRLF
    assert text.startswith("Goedendag,\n")
    assert "binnen 24 uur" in text
    assert "één keer" in text  # non-ASCII arrives intact (base64)
    # the link's end as a Dutch date: 24 hours from now
    end = time.gmtime(time.time() + 24 * 3600)
    months = ("januari februari maart april mei juni juli augustus september oktober "
              "november december").split()
    assert re.search(r"De link werkt tot %d %s %d om \d\d:\d\d UTC\." % (
        end.tm_mday, months[end.tm_mon - 1], end.tm_year), text), text
    assert len(LINK_RE.findall(text)) == 1
    access = login_as(h.api, address)
    me = h.api.request("GET", "/v1/me", headers={"Authorization": "Bearer " + access})
    assert me.json["locale"] == "nl"

    # changed by PATCH /v1/me: the next mail (a reset) is in French
    r = h.api.request("PATCH", "/v1/me", body={"locale": "fr"},
                      headers={"Authorization": "Bearer " + access})
    assert r.status == 200 and r.json["locale"] == "fr" and r.json["changed"] == []
    r = h.api.request("POST", "/v1/password-resets", body={"email": address})
    assert r.status == 202, r.body
    [reset] = sink.wait_for(address, "Réinitialisez votre mot de passe")
    assert reset["msg"]["Content-Language"] == "fr"
    assert reset["msg"].get_content().startswith("Bonjour,\r\n")


def test_locale_in_the_body_wins_and_unknown_is_422(stack, smtp):
    sink, port = smtp
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port})
    address = unique_email("infirmier")
    r = h.api.register(belgian_nurse(h.api, address, locale="de"),
                       headers={"Accept-Language": "fr"})
    assert r.status == 202, r.body
    [mail] = sink.wait_for(address, "Bestätigen Sie Ihre E-Mail-Adresse")
    assert mail["msg"].get_content().startswith("Guten Tag,\r\n")

    r = h.api.register(belgian_nurse(h.api, unique_email("x"), locale="ja"))
    assert r.status == 422
    assert [(e["field"], e["code"]) for e in r.json["errors"]] == [("locale", "unsupported")]
    access = login_as(h.api, address)
    for bad in ("klingon", 7, ""):
        r = h.api.request("PATCH", "/v1/me", body={"locale": bad},
                          headers={"Authorization": "Bearer " + access})
        assert r.status == 422, bad
        assert [(e["field"], e["code"]) for e in r.json["errors"]] == [("locale", "unsupported")]


def test_english_readers_get_english_mail(stack, smtp):
    sink, port = smtp
    pg, h = stack({"HCPD_SMTP_URL": "smtp://127.0.0.1:%d" % port})
    address = unique_email("nurse")
    r = h.api.register(belgian_nurse(h.api, address), headers={"Accept-Language": "ja"})
    assert r.status == 202, r.body
    [mail] = sink.wait_for(address, "Confirm your email address")
    assert mail["msg"]["Content-Language"] == "en"
    assert mail["msg"]["Content-Transfer-Encoding"] == "7bit"


def catalogue_english():
    with open(os.path.join(ROOT, "services/catalogue.json")) as f:
        return json.load(f)


def test_the_schema_in_german_labels_every_field(api):
    english = catalogue_english()
    r = api.request("GET", "/v1/registration/schema", headers={"Accept-Language": "de-DE"})
    assert r.status == 200
    assert r.headers["content-language"] == "de"
    assert "accept-language" in r.headers["vary"].lower()
    doc = r.json
    assert {"en", "fr", "nl", "de"} <= set(doc["languages"])
    en_fields = {f["name"]: f for f in english["fields"]}
    assert len(doc["fields"]) == len(en_fields)
    for f in doc["fields"]:
        assert f["label"] and f["label"] != en_fields[f["name"]]["label"] or \
            f["name"] in ("npi",), f["name"]  # an acronym may read the same
        assert f["purpose"] != en_fields[f["name"]]["purpose"], f["name"]
    en_consents = {c["purpose"]: c["description"] for c in english["consents"]}
    for c in doc["consents"]:
        assert c["description"] != en_consents[c["purpose"]], c["purpose"]
    # the machine-readable parts are the same as in English
    assert [f["name"] for f in doc["fields"]] == [f["name"] for f in english["fields"]]
    assert r.headers["etag"] != api.request("GET", "/v1/registration/schema").headers["etag"]


def test_the_resolved_schema_speaks_the_professionals_language(api):
    path = "/v1/registration/schema?country=BE&profession=nurse"
    nl = api.request("GET", path, headers={"Accept-Language": "nl-BE"},
                     template="/v1/registration/schema").json
    fr = api.request("GET", path, headers={"Accept-Language": "fr-BE"},
                     template="/v1/registration/schema").json
    en = api.request("GET", path, headers={"Accept-Language": "ja"},
                     template="/v1/registration/schema").json
    label = {d: {f["name"]: f["label"] for f in doc["fields"]} for d, doc in
             (("nl", nl), ("fr", fr), ("en", en))}
    assert label["nl"]["riziv_number"] == "RIZIV-nummer"
    assert label["fr"]["riziv_number"] == "Numéro INAMI"
    assert label["en"]["riziv_number"] == "RIZIV/INAMI number"
    assert [f["required"] for f in nl["fields"]] == [f["required"] for f in en["fields"]]
    # the shared consents of the catalogue are not changed by a translation
    assert en["consents"] == catalogue_english()["consents"]


def test_every_shipped_catalogue_translation_is_complete():
    english = catalogue_english()
    for lang in SHIPPED:
        path = os.path.join(ROOT, "services/catalogue.%s.json" % lang.replace("-", "_"))
        with open(path) as f:
            tr = json.load(f)
        assert set(tr["fields"]) == {f["name"] for f in english["fields"]}, lang
        assert set(tr["consents"]) == {c["purpose"] for c in english["consents"]}, lang
        for name, t in tr["fields"].items():
            assert t["label"].strip() and t["purpose"].strip(), (lang, name)
        for name, t in tr["consents"].items():
            assert t["description"].strip(), (lang, name)


AUTOMATIC = {"en": "automatically", "fr": "automatiquement", "nl": "automatisch",
             "de": "automatisch", "zh-CN": "自动", "ms": "automatik", "id": "otomatis",
             "th": "อัตโนมัติ", "vi": "tự động"}


def test_numbers_a_register_checks_automatically_say_so():
    """The RPPS and BIG numbers are checked by verifiers (fr-rpps,
    fr-annuaire-sante, nl-big-register), not by an admin by hand (issue 22)."""
    english = {f["name"]: f for f in catalogue_english()["fields"]}
    for name in ("rpps", "big_number"):
        assert AUTOMATIC["en"] in english[name]["purpose"], name
        assert "admin" not in english[name]["purpose"], name
    assert set(AUTOMATIC) == set(SHIPPED) | {"en"}
    for lang in SHIPPED:
        path = os.path.join(ROOT, "services/catalogue.%s.json" % lang.replace("-", "_"))
        with open(path) as f:
            tr = json.load(f)
        for name in ("rpps", "big_number"):
            assert AUTOMATIC[lang] in tr["fields"][name]["purpose"], (lang, name)


def test_an_incomplete_translation_stops_start_up(stack, tmp_path):
    cat = tmp_path / "catalogue.json"
    shutil.copy(os.path.join(ROOT, "services/catalogue.json"), cat)
    with open(os.path.join(ROOT, "services/catalogue.fr.json")) as f:
        tr = json.load(f)
    del tr["fields"]["given_name"]
    (tmp_path / "catalogue.fr.json").write_text(json.dumps(tr))
    with pytest.raises(RuntimeError) as e:
        stack({"HCPD_CATALOGUE_FILE": str(cat)})
    assert "given_name" in str(e.value) and "not translated" in str(e.value)


def page_texts():
    """Every text the account pages show: data-t elements' text (white
    space runs made one) and account.js's t('...') literals."""
    texts = set()
    pages = os.path.join(ROOT, "services/pages")
    for name in glob.glob(os.path.join(pages, "*.html")):
        with open(name) as f:
            html = f.read()
        for m in re.finditer(r"<(\w+)[^>]*\bdata-t\b[^>]*>(.*?)</\1>", html, re.S):
            texts.add(re.sub(r"\s+", " ", m.group(2)).strip())
    with open(os.path.join(pages, "account.js")) as f:
        js = f.read()
    for m in re.finditer(r"\bt\(((?:'[^']*'\s*\+?\s*)+)", js):
        texts.add("".join(re.findall(r"'([^']*)'", m.group(1))))
    return texts


def test_the_account_pages_words_come_in_dutch(api):
    r = api.request("GET", "/account/strings.json", headers={"Accept-Language": "nl-BE"},
                    template="/account/{page}")
    assert r.status == 200
    assert r.headers["content-language"] == "nl"
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    doc = r.json
    assert doc["language"] == "nl"
    texts = page_texts()
    assert len(texts) > 20
    assert texts <= set(doc["strings"]), texts - set(doc["strings"])
    for text in texts:
        assert doc["strings"][text] != text, text
    assert doc["strings"]["Send me a link"] == "Stuur me een link"
    en = api.request("GET", "/account/strings.json", headers={"Accept-Language": "ja"},
                     template="/account/{page}").json
    assert en["language"] == "en" and all(k == v for k, v in en["strings"].items())


def test_the_reset_page_in_a_dutch_browser(hcpd, capsys):
    from test_admin_browser import ARTIFACTS, ensure_playwright, run_script
    ensure_playwright()
    os.makedirs(ARTIFACTS, exist_ok=True)
    run_script(os.path.join(ROOT, "tests", "browser", "account_pages_nl.mjs"), hcpd, capsys)


def test_a_count_takes_the_languages_plural_form(stack):
    """The throttle's detail names the seconds to wait (Retry-After) in the
    plural form of the reader's language: French says "1 seconde" and
    "2 secondes", German "1 Sekunde" and "2 Sekunden"."""
    pg, h = stack()
    address = unique_email("throttled")
    assert h.api.register(registration(address)).status == 202
    for _ in range(10):
        r = h.api.request("POST", "/v1/sessions",
                          body={"email": address, "password": "wrong pass phrase attempt"})
        assert r.status == 401
    seen = {}
    for lang in ("fr", "de", "en", "zh-CN"):
        r = h.api.request("POST", "/v1/sessions", body={"email": address, "password": "x" * 20},
                          headers={"Accept-Language": lang})
        assert r.status == 429 and r.json["type"] == "urn:hcpd:problem:too-many-attempts"
        n = int(r.headers["retry-after"])
        seen[lang] = (n, r.json["detail"])
    n, fr = seen["fr"]
    assert ("patientez %d seconde avant" % n if n <= 1 else "patientez %d secondes avant" % n) \
        in fr, fr
    n, de = seen["de"]
    assert ("warten Sie %d Sekunde," % n if n == 1 else "warten Sie %d Sekunden," % n) in de, de
    n, en = seen["en"]
    assert ("wait %d second before" % n if n == 1 else "wait %d seconds before" % n) in en, en
    n, zh = seen["zh-CN"]
    assert "请等待 %d 秒后再试" % n in zh, zh


def test_messages_made_with_a_value_are_translated_too(api):
    """catalogue_check.c puts a format name or a length into its message:
    problem.c translates the message it was made from, value kept."""
    r = api.request("GET", "/v1/registration/schema?country=BE&profession=nurse",
                    template="/v1/registration/schema")
    body = body_from(r.json, unique_email("verpleger"))
    body["profile"]["riziv_number"] = "1234562500"  # 10 digits: RIZIV's have 11
    body["profile"]["given_name"] = "A" * 101
    en = api.register(body)
    nl = api.register(body, headers={"Accept-Language": "nl-BE"})
    assert en.status == nl.status == 422
    assert shape(en) == shape(nl)
    en_msgs = {e["field"]: e["message"] for e in en.json["errors"]}
    nl_msgs = {e["field"]: e["message"] for e in nl.json["errors"]}
    assert en_msgs["profile.given_name"] == "must be at most 100 characters"
    assert nl_msgs["profile.given_name"] == "mag hoogstens 100 tekens bevatten"
    assert en_msgs["profile.riziv_number"].startswith("is not a valid ")
    assert nl_msgs["profile.riziv_number"].startswith("is geen geldig ")
    assert nl_msgs["profile.riziv_number"] == (
        "is geen geldig riziv: verkeerde lengte, tekens of controlecijfer"), nl_msgs
