"""Check real hcpd replies against openapi.yaml.

Integration tests call check_response() and check_headers() on every reply
they get, so the contract and the server cannot drift apart unnoticed. Both
raise AssertionError with the operation, the status and what is wrong.

Only Debian's python3-yaml and python3-jsonschema (4.10) are used. Schemas
are validated with Draft 2020-12 (OpenAPI 3.1's dialect) and a resolver
whose root is the whole document, so `#/components/...` references resolve.

Binary replies (documents: application/pdf, image/*) are checked for a
documented media type and, when their schema says `format: binary`, for a
body that is not empty; their bytes are the tests' to compare.

Two replies apply to every path rather than to one operation: 404 for a
path with no route and 405 for a known path asked with a method it does not
accept. A request to an undocumented path or method is therefore checked
against components.responses.NotFound / MethodNotAllowed when (and only
when) its status is 404 / 405; anything else on it is an error.
"""

import functools
import json
import os
import re

import jsonschema
import yaml

OPENAPI_PATH = os.environ.get(
    "HCPD_OPENAPI",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "openapi.yaml"),
)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Component responses for requests no operation documents (see above).
UNKNOWN_PATH_RESPONSE = ("NotFound", 404)
UNKNOWN_METHOD_RESPONSE = ("MethodNotAllowed", 405)


@functools.lru_cache(maxsize=None)
def load_document():
    """The parsed openapi.yaml, loaded once per process."""
    with open(OPENAPI_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


@functools.lru_cache(maxsize=None)
def _resolver():
    return jsonschema.RefResolver(base_uri="", referrer=load_document())


def _format_checker():
    # uuid, date, email, uri-reference ... everything jsonschema knows.
    return jsonschema.FormatChecker()


def _deref(node):
    """Follow local `$ref`s of non-schema objects (responses, headers)."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise AssertionError(f"openapi.yaml: cannot resolve $ref {ref!r}")
        seen.add(ref)
        node = load_document()
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[part]
            except (KeyError, TypeError):
                raise AssertionError(f"openapi.yaml: dangling $ref {ref!r}") from None
    return node


def documented_operations():
    """Every documented operation as (METHOD, path_template), in document order."""
    ops = []
    for path, item in (load_document().get("paths") or {}).items():
        for method in HTTP_METHODS:
            if method in item:
                ops.append((method.upper(), path))
    return ops


def _response(method, path_template, status):
    """The documented response object for this reply, or AssertionError."""
    doc = load_document()
    what = f"{method.upper()} {path_template} -> {status}"
    paths = doc.get("paths") or {}
    item = paths.get(path_template)
    fallback = None
    if item is None:
        if status == UNKNOWN_PATH_RESPONSE[1]:
            fallback = UNKNOWN_PATH_RESPONSE[0]
        else:
            raise AssertionError(f"{what}: path {path_template!r} is not documented in openapi.yaml")
    elif method.lower() not in item:
        if status == UNKNOWN_METHOD_RESPONSE[1]:
            fallback = UNKNOWN_METHOD_RESPONSE[0]
        else:
            allowed = ", ".join(m.upper() for m in HTTP_METHODS if m in item)
            raise AssertionError(
                f"{what}: operation not documented in openapi.yaml (documented methods: {allowed})"
            )
    if fallback is not None:
        responses = (doc.get("components") or {}).get("responses") or {}
        if fallback not in responses:
            raise AssertionError(f"{what}: components.responses.{fallback} is missing")
        return what, _deref(responses[fallback])

    responses = item[method.lower()].get("responses") or {}
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            return what, _deref(responses[key])
    raise AssertionError(
        f"{what}: status not documented (documented: {', '.join(map(str, responses))})"
    )


def _media_type(value):
    return (value or "").split(";", 1)[0].strip().lower()


def _is_json(media_type):
    return media_type == "application/json" or media_type.endswith("+json")


def _validate(what, schema, instance, label):
    validator = jsonschema.Draft202012Validator(
        schema, resolver=_resolver(), format_checker=_format_checker()
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors[:10]:
            where = "/" + "/".join(str(p) for p in e.absolute_path)
            lines.append(f"  at {where}: {e.message}")
        if len(errors) > 10:
            lines.append(f"  ... and {len(errors) - 10} more")
        shown = json.dumps(instance)
        if len(shown) > 500:
            shown = shown[:500] + "..."
        raise AssertionError(
            f"{what}: {label} does not match openapi.yaml:\n" + "\n".join(lines) + f"\n  {label}: {shown}"
        )


def check_response(method, path_template, status, content_type, body):
    """Assert that a reply matches the documented response.

    method: HTTP method, any case. path_template: the OpenAPI path key, e.g.
    "/v1/registrations". content_type: the reply's Content-Type header (its
    parameters are ignored) or None. body: bytes or str.

    Returns the parsed JSON body for JSON media types, else the body as given.
    """
    what, response = _response(method, path_template, status)
    content = response.get("content") or {}
    if isinstance(body, str):
        raw = body.encode("utf-8")
    else:
        raw = bytes(body or b"")

    if not content:
        if raw:
            raise AssertionError(f"{what}: no body is documented but {len(raw)} bytes came")
        return body

    documented = {_media_type(k): v for k, v in content.items()}
    media_type = _media_type(content_type)
    if media_type not in documented:
        raise AssertionError(
            f"{what}: Content-Type {content_type!r} is not documented "
            f"(documented: {', '.join(sorted(documented))})"
        )
    schema = (documented[media_type] or {}).get("schema")

    if _is_json(media_type):
        try:
            instance = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError(f"{what}: body is not JSON ({e}): {raw[:200]!r}") from None
        if schema is not None:
            _validate(what, schema, instance, "body")
        return instance

    if media_type.startswith("text/"):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise AssertionError(f"{what}: {media_type} body is not UTF-8 ({e})") from None
        if schema is not None:
            _validate(what, schema, text, "body")
    elif (schema or {}).get("format") == "binary" and not raw:
        # a documented file (a licence document): its bytes must be there
        raise AssertionError(f"{what}: {media_type} body is empty")
    return body


def _header_items(headers):
    if hasattr(headers, "items"):
        return list(headers.items())
    return list(headers)


def check_headers(method, path_template, status, headers):
    """Assert every header documented as required for this reply is present.

    headers: a mapping (dict, http.client.HTTPMessage, requests' headers) or
    a list of (name, value) pairs; names are compared case-insensitively.
    A present documented header is also checked against its schema (integer
    schemas are checked on the value parsed as an integer).
    """
    what, response = _response(method, path_template, status)
    got = {}
    for name, value in _header_items(headers):
        got.setdefault(name.lower(), value)

    missing = []
    for name, header in (response.get("headers") or {}).items():
        header = _deref(header)
        value = got.get(name.lower())
        if value is None:
            if header.get("required"):
                missing.append(name)
            continue
        schema = header.get("schema")
        if schema is None:
            continue
        instance = value
        if _deref(schema).get("type") == "integer":
            if not re.fullmatch(r"-?[0-9]+", value.strip()):
                raise AssertionError(f"{what}: header {name}: {value!r} is not an integer")
            instance = int(value.strip())
        _validate(what, schema, instance, f"header {name}")
    if missing:
        raise AssertionError(
            f"{what}: required header(s) missing: {', '.join(missing)} "
            f"(got: {', '.join(sorted(got)) or 'none'})"
        )
