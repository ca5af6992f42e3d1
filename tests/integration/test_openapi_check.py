"""Self-test of openapi_check on hand-written replies (no server needed)."""

import json

import pytest

from openapi_check import check_headers, check_response, documented_operations

REG = "/v1/registrations"
ID = "0b6a4f5e-2f0c-4c51-9a7e-3d7b8e0c1a22"
RID = "0123456789abcdef0123456789abcdef"


def problem(status, **extra):
    body = {"type": "about:blank", "title": "Problem", "status": status}
    body.update(extra)
    return json.dumps(body)


def test_documented_operations():
    ops = documented_operations()
    assert ("POST", REG) in ops
    assert ("GET", "/healthz") in ops
    assert ("GET", "/v1/registration/schema") in ops


def test_valid_202_passes():
    body = json.dumps({"id": ID, "status": "pending_verification"}).encode()
    parsed = check_response("POST", REG, 202, "application/json; charset=utf-8", body)
    assert parsed["id"] == ID


def test_202_without_id_fails():
    body = json.dumps({"status": "pending_verification"})
    with pytest.raises(AssertionError, match="'id' is a required property"):
        check_response("POST", REG, 202, "application/json", body)


def test_202_with_bad_uuid_fails():
    body = json.dumps({"id": "not-a-uuid", "status": "pending_verification"})
    with pytest.raises(AssertionError, match="uuid"):
        check_response("POST", REG, 202, "application/json", body)


def test_202_with_other_status_fails():
    body = json.dumps({"id": ID, "status": "verified"})
    with pytest.raises(AssertionError, match="/status"):
        check_response("POST", REG, 202, "application/json", body)


def test_422_problem_passes():
    body = problem(
        422,
        detail="The registration has invalid fields.",
        request_id=RID,
        errors=[{"field": "profile.npi", "code": "invalid", "message": "Not a valid NPI."}],
    )
    check_response("POST", REG, 422, "application/problem+json", body)


def test_422_problem_with_incomplete_error_fails():
    body = problem(422, errors=[{"field": "email", "code": "required"}])
    with pytest.raises(AssertionError, match="'message' is a required property"):
        check_response("POST", REG, 422, "application/problem+json", body)


def test_problem_with_wrong_media_type_fails():
    with pytest.raises(AssertionError, match="Content-Type"):
        check_response("POST", REG, 422, "application/json", problem(422))


def test_undocumented_status_fails():
    with pytest.raises(AssertionError, match="status not documented"):
        check_response("POST", REG, 409, "application/problem+json", problem(409))


def test_undocumented_operation_fails():
    with pytest.raises(AssertionError, match="operation not documented"):
        check_response("DELETE", REG, 200, "application/json", "{}")


def test_undocumented_path_fails_unless_404():
    with pytest.raises(AssertionError, match="not documented"):
        check_response("GET", "/nope", 200, "application/json", "{}")
    check_response("GET", "/nope", 404, "application/problem+json", problem(404))


def test_405_on_known_path_uses_method_not_allowed():
    check_response("DELETE", REG, 405, "application/problem+json", problem(405))
    check_headers("DELETE", REG, 405, {"X-Request-Id": RID, "Allow": "POST"})
    with pytest.raises(AssertionError, match="Allow"):
        check_headers("DELETE", REG, 405, {"X-Request-Id": RID})


def test_metrics_text():
    check_response("GET", "/metrics", 200, "text/plain; version=0.0.4", b"up 1\n")
    with pytest.raises(AssertionError, match="Content-Type"):
        check_response("GET", "/metrics", 200, "application/json", b"{}")


def test_catalogue_passes_and_bad_required_fails():
    cat = {
        "version": "1",
        "notice_version": "2024-01",
        "professions": ["physician"],
        "fields": [
            {"name": "npi", "type": "string", "format": "npi", "max_length": 10,
             "personal": False, "purpose": "licensure_verification",
             "required": [{"countries": ["US"]}]},
            {"name": "given_name", "type": "string", "format": "name", "max_length": 100,
             "personal": True, "purpose": "identity", "required": True},
        ],
        "consents": [{"purpose": "licensure_verification", "required": True,
                      "description": "Check the licence."}],
    }
    check_response("GET", "/v1/registration/schema", 200, "application/json", json.dumps(cat))
    cat["fields"][0]["required"] = [{"regions": ["CA"]}]
    with pytest.raises(AssertionError, match="does not match"):
        check_response("GET", "/v1/registration/schema", 200, "application/json", json.dumps(cat))


def test_headers_case_insensitive_and_required():
    check_headers("POST", REG, 202, [("x-request-id", RID), ("location", "/v1/me")])
    with pytest.raises(AssertionError, match="Location"):
        check_headers("POST", REG, 202, {"X-Request-Id": RID})
    with pytest.raises(AssertionError, match="X-Request-Id"):
        check_headers("GET", "/healthz", 200, {"X-Request-Id": "ABC"})


def test_retry_after_on_503():
    check_headers("POST", REG, 503, {"X-Request-Id": RID, "Retry-After": "1"})
    with pytest.raises(AssertionError, match="Retry-After"):
        check_headers("POST", REG, 503, {"X-Request-Id": RID})
    with pytest.raises(AssertionError, match="not an integer"):
        check_headers("POST", REG, 503, {"X-Request-Id": RID, "Retry-After": "soon"})


def test_non_json_body_fails():
    with pytest.raises(AssertionError, match="not JSON"):
        check_response("GET", "/healthz", 200, "application/json", b"ok")


# binary replies: licence documents (issue 19) ------------------------------

DOC = "/v1/admin/documents/{id}"
DOC_HEADERS = {"X-Request-Id": RID,
               "Content-Disposition": 'attachment; filename="document-%s.pdf"' % ID,
               "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'none'"}


def test_document_reply_passes():
    body = b"%PDF-1.7\n\x00\xff binary"
    assert check_response("GET", DOC, 200, "application/pdf", body) == body
    check_response("GET", "/v1/me/documents/{id}", 200, "image/png", b"\x89PNG\r\n\x1a\n")
    check_headers("GET", DOC, 200, DOC_HEADERS)


def test_document_reply_of_another_type_fails():
    with pytest.raises(AssertionError, match="is not documented"):
        check_response("GET", DOC, 200, "text/html", b"<script>")
    with pytest.raises(AssertionError, match="is not documented"):
        check_response("GET", DOC, 200, "application/octet-stream", b"MZ")


def test_empty_document_reply_fails():
    with pytest.raises(AssertionError, match="body is empty"):
        check_response("GET", DOC, 200, "application/pdf", b"")


def test_document_reply_needs_its_headers():
    for name in ("Content-Disposition", "Content-Security-Policy"):
        headers = {k: v for k, v in DOC_HEADERS.items() if k != name}
        with pytest.raises(AssertionError, match="missing: " + name):
            check_headers("GET", DOC, 200, headers)
    with pytest.raises(AssertionError, match="Content-Security-Policy"):
        check_headers("GET", DOC, 200, dict(DOC_HEADERS, **{
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}))
