"""The roster_csv kind with the shipped us-oig-leie definition: `hcpd roster
load` (entries stored, a bad file changing nothing and naming its line but
not its content, bounded memory on a 100 MB file, roster_reload jobs queued
for verified US accounts) and `hcpd verifier check` against the loaded
roster (excluded by NPI, by name + state for rows without one, reinstated,
not on the list).

One private PostgreSQL and hcpd for the module, whose registries directory
holds only the shipped us-oig-leie definition, so no other verifier's jobs
run beside these; its job runner is on (a roster check is local)."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time

import pytest

from conftest import (HCPD_BIN, ROOT, SPEC_EXAMPLE, HeldTransaction, start_stack, until,
                      valid_npi, waiting_on_locks)

SAMPLE = os.path.join(ROOT, "tests", "data", "leie", "UPDATED-sample.csv")
DEFINITION = os.path.join(ROOT, "verifiers", "registries", "us-oig-leie.json")
HEADER = ("LASTNAME,FIRSTNAME,MIDNAME,BUSNAME,GENERAL,SPECIALTY,UPIN,NPI,DOB,ADDRESS,CITY,"
          "STATE,ZIP,EXCLTYPE,EXCLDATE,REINDATE,WAIVERDATE,WVRSTATE")
SAMPLE_ENTRIES = 11  # thirteen rows, two of them entities
NAMES_IN_SAMPLE = ("QUARTERMAINE", "PELLINORE", "VANTREMONT", "FARNSWORTH", "GRUMBLE")


@pytest.fixture(scope="module")
def rstack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roster")
    regs = tmp / "registries"
    regs.mkdir()
    shutil.copy(DEFINITION, str(regs / "us-oig-leie.json"))
    # the runner on: roster checks are local, nothing can reach a registry;
    # a statement may wait for a lock a test holds while a registration
    # hashes its password on a loaded machine
    pg, h = start_stack(tmp, env={"HCPD_REGISTRIES_DIR": str(regs),
                                  "HCPD_VERIFY_CONCURRENCY": "4",
                                  "HCPD_STATEMENT_TIMEOUT_MS": "30000"})
    yield pg, h
    if h.proc.poll() is None:
        h.assert_clean_exit()
    pg.destroy()


def load(h, path, name="us-oig-leie", timeout=60):
    return subprocess.run([HCPD_BIN, "roster", "load", name, path], env=h.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def check(h, **fields):
    args = ["verifier", "check", "us-oig-leie"]
    for k, v in fields.items():
        args += ["--field", "%s=%s" % (k, v)]
    r = h.cli(*args)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["verifier"] == "us-oig-leie"
    for key in ("outcome", "reason", "checks", "evidence"):
        assert key in out, out
    # a reason never carries a name or a number from either side
    for value in fields.values():
        if len(value) > 2:
            assert value.upper() not in out["reason"].upper(), out
    return out


def roster_row(pg):
    return pg.psql("SELECT entries || ':' || encode(sha256, 'hex') || ':' || loaded_at "
                   "FROM rosters WHERE name = 'us-oig-leie'")


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sample_lines():
    with open(SAMPLE, "rb") as f:
        return f.read().decode().split("\r\n")


def write_lines(path, lines):
    with open(path, "wb") as f:
        f.write("\r\n".join(lines).encode())
    return str(path)


def register(h, email, drop=(), **profile):
    body = json.loads(json.dumps(SPEC_EXAMPLE))
    body["email"] = email
    body["profile"].update(profile)
    for k in drop:
        body["profile"].pop(k, None)
    r = h.api.register(body)
    assert r.status == 202, r.body
    return r.json["id"]


# --- before any load -----------------------------------------------------------


def test_check_before_any_load_is_an_error(rstack):
    pg, h = rstack
    out = check(h, npi="1900000013", family_name="Quartermaine", given_name="Aldous",
                license_region="IL")
    assert out["outcome"] == "error"
    assert out["reason"] == "roster not loaded"


def test_unknown_or_non_roster_verifier_is_refused(rstack, tmp_path):
    pg, h = rstack
    r = load(h, SAMPLE, name="no-such-roster")
    assert r.returncode == 2
    assert "no such verifier" in r.stderr
    # us-nppes is a verifier, but not a roster one
    regs = tmp_path / "registries"
    regs.mkdir()
    shutil.copy(DEFINITION, str(regs / "us-oig-leie.json"))
    shutil.copy(os.path.join(ROOT, "verifiers", "registries", "us-nppes.json"),
                str(regs / "us-nppes.json"))
    env = dict(h.env, HCPD_REGISTRIES_DIR=str(regs))
    r = subprocess.run([HCPD_BIN, "roster", "load", "us-nppes", SAMPLE], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "not a roster_csv verifier" in r.stderr
    assert pg.psql("SELECT count(*) FROM rosters") == "0"
    r = load(h, str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and "cannot open" in r.stderr


# --- loading ------------------------------------------------------------------------


def test_load_sample(rstack):
    pg, h = rstack
    r = load(h, SAMPLE)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["roster"] == "us-oig-leie"
    assert out["entries"] == SAMPLE_ENTRIES
    assert isinstance(out["queued"], int)
    assert out["sha256"] == sha256_of(SAMPLE)
    assert roster_row(pg).startswith("%d:%s:" % (SAMPLE_ENTRIES, out["sha256"]))
    assert pg.psql("SELECT count(*) FROM roster_entries WHERE roster = 'us-oig-leie'") == \
        str(SAMPLE_ENTRIES)
    # normalised names, no entities, "0000000000" stored as no NPI
    assert pg.psql("SELECT count(*) FROM roster_entries WHERE npi IS NULL") == "4"
    assert pg.psql("SELECT count(*) FROM roster_entries WHERE family_name IN "
                   "('MULLERZIMMER', 'OHALLORANSMYTHE')") == "2"
    assert pg.psql("SELECT count(*) FROM roster_entries WHERE family_name = ''") == "0"
    assert pg.psql("SELECT string_agg(family_name, ',' ORDER BY family_name) FROM roster_entries "
                   "WHERE reinstated") == "STRAND,VANTREMONT"
    assert pg.psql("SELECT listed_on || ' ' || detail FROM roster_entries "
                   "WHERE npi = '1900000013'") == "2019-04-18 1128a1"
    # loading the same file again replaces, never adds
    r = load(h, SAMPLE)
    assert r.returncode == 0, r.stderr
    assert pg.psql("SELECT count(*) FROM roster_entries") == str(SAMPLE_ENTRIES)


@pytest.mark.parametrize("case", ["unterminated", "after_quote", "field_count", "bad_date",
                                  "stray_quote", "bad_npi", "last_line"])
def test_a_broken_file_keeps_the_old_roster(rstack, tmp_path, case):
    pg, h = rstack
    if pg.psql("SELECT count(*) FROM rosters") == "0":
        assert load(h, SAMPLE).returncode == 0
    before = roster_row(pg)
    lines = sample_lines()
    # lines[i] is line i + 1 of the file
    if case == "unterminated":
        lines[13] = '"' + lines[13]
        line = 14
    elif case == "after_quote":
        lines[5] = lines[5].replace('"ALBANY"', '"ALBANY')
        line = 6
    elif case == "field_count":
        lines[8] = lines[8].rsplit(",", 1)[0]
        line = 9
    elif case == "bad_date":
        lines[3] = lines[3].replace("20150301", "20151301")
        line = 4
    elif case == "stray_quote":
        lines[2] = lines[2].replace("PELLINORE", 'PELL"INORE')
        line = 3
    elif case == "bad_npi":
        lines[7] = lines[7].replace("1900000047", "19000000")
        line = 8
    else:
        lines[13] = lines[13].replace("20111111", "2011-11-11")
        line = 14
    path = write_lines(tmp_path / ("broken-%s.csv" % case), lines)
    r = load(h, path)
    assert r.returncode == 2, r.stdout
    assert "line %d:" % line in r.stderr, r.stderr
    for name in NAMES_IN_SAMPLE + ("ALDOUS", "BEATRIX", "PELL", "ALBANY", "1900000047"):
        assert name not in r.stderr, r.stderr
    assert r.stdout == ""
    assert roster_row(pg) == before
    assert pg.psql("SELECT count(*) FROM roster_entries") == str(SAMPLE_ENTRIES)


def test_an_empty_or_header_only_file_is_refused(rstack, tmp_path):
    pg, h = rstack
    before = roster_row(pg)
    for name, text in (("empty.csv", ""), ("header.csv", HEADER + "\r\n"),
                       ("entities.csv", HEADER + "\r\n" + sample_lines()[4] + "\r\n"),
                       ("other.csv", "A,B,C\r\n1,2,3\r\n")):
        path = tmp_path / name
        path.write_text(text)
        r = load(h, str(path))
        assert r.returncode == 2, (name, r.stdout)
        assert roster_row(pg) == before
    assert "no column" in r.stderr  # the missing column is named


# --- checks against the loaded roster ----------------------------------------


def test_checks(rstack):
    pg, h = rstack
    assert load(h, SAMPLE).returncode == 0
    # by NPI
    out = check(h, npi="1900000013", family_name="Quartermaine", given_name="Aldous",
                license_region="IL")
    assert out["outcome"] == "excluded", out
    assert out["reason"] == "listed since 2019-04-18 (1128a1)"
    assert out["checks"]["npi"] == "match"
    assert out["checks"]["family_name"] == "match"
    assert out["evidence"]["npi"] == {"registration": "1900000013", "registry": "1900000013"}
    # by NPI, whatever the names: the checks show they differ
    out = check(h, npi="1900000047", family_name="Someone", given_name="Else",
                license_region="CA")
    assert out["outcome"] == "excluded"
    assert out["checks"]["family_name"] == "mismatch"
    # not on the list
    out = check(h, npi=SPEC_EXAMPLE["profile"]["npi"], family_name="Ng", given_name="Ana",
                license_region="CA")
    assert out["outcome"] == "verified"
    assert out["reason"] == "not on the list"
    # reinstated
    out = check(h, npi="1900000021", family_name="Vantremont", given_name="Cornelius",
                license_region="TX")
    assert out["outcome"] == "verified", out
    assert "reinstated" in out["reason"]
    # a reinstatement dated after the load is not one yet
    out = check(h, npi="1900000070", family_name="Halversen", given_name="Ingrid",
                license_region="MN")
    assert out["outcome"] == "excluded"
    # a listing dated later still counts, and says so
    out = check(h, npi="1900000062", family_name="Okonkwo", given_name="Adaeze",
                license_region="GA")
    assert out["outcome"] == "excluded"
    assert out["reason"] == "listed from 2099-01-01 (1128b7)"


def test_name_and_state_match_for_rows_without_npi(rstack):
    pg, h = rstack
    assert load(h, SAMPLE).returncode == 0
    out = check(h, npi="1900000088", family_name="Pellinore", given_name="Beatrix",
                license_region="OR")
    assert out["outcome"] == "excluded", out
    assert out["reason"] == "listed since 2020-01-15 (1128b4)"
    assert out["checks"] == {"family_name": "match", "given_name": "match",
                             "license_region": "match"}
    assert out["evidence"]["family_name"] == {"registration": "PELLINORE",
                                              "registry": "PELLINORE"}
    # accents, case and hyphens do not matter; the state does
    out = check(h, family_name="müller-zimmer", given_name="josé", license_region="ca")
    assert out["outcome"] == "excluded", out
    out = check(h, npi="1900000088", family_name="Pellinore", given_name="Beatrix",
                license_region="CA")
    assert out["outcome"] == "verified"
    out = check(h, npi="1900000088", family_name="Pellinore", given_name="Bea",
                license_region="OR")
    assert out["outcome"] == "verified"
    # a row with an NPI is not matched by name: its NPI is the professional's or not
    out = check(h, npi="1900000088", family_name="Quartermaine", given_name="Aldous",
                license_region="IL")
    assert out["outcome"] == "verified"
    # reinstated without an NPI
    out = check(h, family_name="Strand", given_name="Esme", license_region="WA")
    assert out["outcome"] == "verified"
    assert "reinstated" in out["reason"]
    # neither an NPI nor a full name: nothing to match on
    out = check(h, family_name="Pellinore")
    assert out["outcome"] == "error"


# --- re-checks a reload queues -------------------------------------------------


def test_reload_queues_rechecks_for_verified_us_accounts(rstack, tmp_path):
    pg, h = rstack
    ids = {
        "verified": register(h, "leie-verified@example.org"),
        "approved": register(h, "leie-approved@example.org"),
        "pending": register(h, "leie-pending@example.org"),
        "flagged": register(h, "leie-flagged@example.org"),
        "gb": register(h, "leie-gb@example.org", country="GB", gmc_number="1234567",
                       drop=("npi", "license_region")),
        "erased": register(h, "leie-erased@example.org"),
        "open": register(h, "leie-open@example.org"),
        "admin": register(h, "leie-admin@example.org"),
    }
    h.stop()  # no worker takes the jobs while they are counted
    try:
        # only the statuses set here, and no open job but the one made here
        pg.psql("UPDATE verification_jobs SET state = 'cancelled' "
                "WHERE state IN ('queued', 'running')")
        for key, status in (("verified", "verified"), ("approved", "approved"),
                            ("pending", "pending_verification"), ("flagged", "flagged"),
                            ("gb", "verified"), ("erased", "verified"), ("open", "verified"),
                            ("admin", "verified")):
            pg.psql("UPDATE accounts SET status = '%s' WHERE id = '%s'" % (status, ids[key]))
        pg.psql("UPDATE accounts SET data_key = NULL WHERE id = '%s'" % ids["erased"])
        pg.psql("UPDATE accounts SET role = 'admin' WHERE id = '%s'" % ids["admin"])
        pg.psql("INSERT INTO verification_jobs (account_id, verifier, occasion) "
                "VALUES ('%s', 'us-oig-leie', 'reverification')" % ids["open"])
        others = int(pg.psql("SELECT count(*) FROM accounts WHERE role = 'professional' "
                             "AND status IN ('verified', 'approved') AND data_key IS NOT NULL "
                             "AND profile_public->>'country' = 'US'")) - 3
        r = load(h, SAMPLE)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["queued"] == 2 + others
        queued = pg.psql("SELECT string_agg(account_id::text || ':' || occasion, ',') "
                         "FROM verification_jobs WHERE verifier = 'us-oig-leie' "
                         "AND state = 'queued'").split(",")
        assert "%s:roster_reload" % ids["verified"] in queued
        assert "%s:roster_reload" % ids["approved"] in queued
        assert "%s:reverification" % ids["open"] in queued  # not doubled
        for key in ("pending", "flagged", "gb", "erased", "admin"):
            assert not any(q.startswith(ids[key]) for q in queued), key
        assert pg.psql("SELECT count(*) FROM verification_jobs WHERE account_id = '%s' AND "
                       "state = 'queued'" % ids["open"]) == "1"
        # a second load while they are still open queues nothing more
        r = load(h, SAMPLE)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["queued"] == 0
        # a broken file queues nothing either
        lines = sample_lines()
        lines[2] = lines[2] + ",extra"
        pg.psql("UPDATE verification_jobs SET state = 'cancelled' WHERE state = 'queued'")
        path = write_lines(tmp_path / "broken.csv", lines)
        assert load(h, path).returncode == 2
        assert pg.psql("SELECT count(*) FROM verification_jobs WHERE state = 'queued'") == "0"
    finally:
        # the hand-made pending accounts have no job left: to the queue, as
        # the invariant (conftest.py, issue 19) wants every account
        pg.psql("UPDATE accounts SET status = 'flagged' WHERE id IN "
                "(SELECT id FROM stuck_accounts)")
        h.start()


def open_jobs(pg, *accounts):
    """How many queued or running jobs the accounts have."""
    return int(pg.psql("SELECT count(*) FROM verification_jobs WHERE account_id IN (%s) "
                       "AND state IN ('queued', 'running')"
                       % ", ".join("'%s'" % x for x in accounts)))


def test_reload_job_suspends_an_excluded_professional(rstack):
    """Needs the job runner: the reload's job runs check_local and an
    excluded outcome suspends a verified account."""
    pg, h = rstack
    excluded = register(h, "leie-excluded@example.org", npi="1900000013",
                        family_name="Quartermaine", given_name="Aldous", license_region="IL")
    clean = register(h, "leie-clean@example.org")
    # the registration's own jobs end first (the roster is loaded: one each)
    deadline = time.time() + 20
    while time.time() < deadline and open_jobs(pg, excluded, clean) != 0:
        time.sleep(0.1)
    pg.psql("UPDATE verification_jobs SET state = 'cancelled' WHERE account_id IN ('%s', '%s') "
            "AND state IN ('queued', 'running')" % (excluded, clean))
    pg.psql("UPDATE accounts SET status = 'verified' WHERE id IN ('%s', '%s')"
            % (excluded, clean))
    r = load(h, SAMPLE)
    assert r.returncode == 0, r.stderr
    deadline = time.time() + 30
    while time.time() < deadline:
        done = pg.psql("SELECT count(*) FROM verification_jobs WHERE account_id IN "
                       "('%s', '%s') AND occasion = 'roster_reload' AND state = 'done'"
                       % (excluded, clean))
        if done == "2":
            break
        time.sleep(0.1)
    assert done == "2", "the roster_reload jobs did not run"
    assert pg.psql("SELECT j.outcome FROM verification_jobs j WHERE j.account_id = '%s' "
                   "AND j.occasion = 'roster_reload'" % excluded) == "excluded"
    assert pg.psql("SELECT status FROM accounts WHERE id = '%s'" % excluded) == "suspended"
    assert pg.psql("SELECT status FROM accounts WHERE id = '%s'" % clean) == "verified"
    reason = pg.psql("SELECT v.reason FROM verifications v JOIN verification_jobs j "
                     "ON j.id = v.job_id WHERE j.account_id = '%s' "
                     "AND j.occasion = 'roster_reload'" % excluded)
    assert reason == "listed since 2019-04-18 (1128a1)"


def one_identifier():
    """An NPI and a licence number of their own, for the accounts of one
    test to share: the module's many accounts with the spec example's pair
    are more than a registration flags (SEARCH_DUPES_SQL_LIMIT)."""
    npi = valid_npi()
    return {"npi": npi, "license_number": "L" + npi}


def test_a_claim_never_waits_for_an_account(rstack):
    """A claim takes its jobs' account rows with the jobs, skipping any row
    another transaction holds (db_jobs_claim()): it never waits for an
    account while it holds jobs, so a transaction that holds an account
    and waits for one of those jobs - a profile change cancelling it, a
    registration flagging duplicates - cannot deadlock with it (a
    registration answered 500 in CI when claims locked accounts one by
    one, as they checked them).

    Accounts a, b, c of one NPI get jobs due, b's the oldest; a session
    holds b. The claim checks a and c and leaves b's job due; a
    registration of the same NPI waits for b. When b is let go, the
    registration gets its 202 and b's check runs."""
    pg, h = rstack
    shared = one_identifier()
    a, b, c = sorted(register(h, "claim-%d@example.org" % i, **shared) for i in range(3))
    h.stop()
    log = os.path.join(pg.dir, "postgres.log")
    log_from = os.path.getsize(log)
    holder = None
    try:
        pg.psql("UPDATE verification_jobs SET state = 'cancelled' "
                "WHERE state IN ('queued', 'running')")
        for account, ago in ((b, 3), (c, 2), (a, 1)):
            pg.psql("INSERT INTO verification_jobs (account_id, verifier, occasion, "
                    "next_attempt_at) VALUES ('%s', 'us-oig-leie', 'reverification', "
                    "now() - interval '%d s')" % (account, ago))
        holder = HeldTransaction(pg, "SELECT 1 FROM accounts WHERE id = '%s' FOR UPDATE" % b)
        h.start()
        until(lambda: open_jobs(pg, a, c) == 0, "the claim did not check a and c", seconds=20)
        assert waiting_on_locks(pg) == 0
        assert open_jobs(pg, b) == 1
        reply = []
        body = json.loads(json.dumps(SPEC_EXAMPLE))
        body["email"] = "claim-new@example.org"
        body["profile"].update(shared)

        def go():
            try:
                reply.append(h.api.register(body).status)
            except AssertionError as e:  # an undocumented status: a 500
                reply.append(str(e))
        t = threading.Thread(target=go)
        t.start()
        until(lambda: waiting_on_locks(pg) == 1, "the registration did not wait for b",
              seconds=20)
        holder.commit()
        t.join(timeout=20)
        assert reply == [202]
        until(lambda: open_jobs(pg, b) == 0, "b's check did not run", seconds=20)
        with open(log, "rb") as f:
            f.seek(log_from)
            assert b"deadlock detected" not in f.read()
    finally:
        if holder is not None:
            holder.close()
        if h.proc.poll() is not None:
            h.start()


def test_a_registration_a_deadlock_aborts_answers_503(rstack):
    """PostgreSQL ends a deadlock by aborting one of its transactions. A
    request's aborted so kept nothing and may be sent again: 503 with
    Retry-After, not 500. A session holds b, a registration of the same
    NPI takes a and waits for b, then the session asks for a."""
    pg, h = rstack
    shared = one_identifier()
    a, b = sorted(register(h, "victim-%d@example.org" % i, **shared) for i in range(2))
    until(lambda: open_jobs(pg, a, b) == 0, "their checks did not end", seconds=20)
    accounts = pg.psql("SELECT count(*) FROM accounts")
    holder = HeldTransaction(pg, "SELECT 1 FROM accounts WHERE id = '%s' FOR UPDATE" % b)
    try:
        body = json.loads(json.dumps(SPEC_EXAMPLE))
        body["email"] = "victim-new@example.org"
        body["profile"].update(shared)
        reply = []
        t = threading.Thread(target=lambda: reply.append(h.api.register(body)))
        t.start()
        until(lambda: waiting_on_locks(pg) == 1, "the registration did not wait for b",
              seconds=20)
        holder.send("SELECT 1 FROM accounts WHERE id = '%s' FOR UPDATE" % a)
        t.join(timeout=20)
        holder.commit()
    finally:
        holder.close()
    assert reply and reply[0].status == 503 and reply[0].headers.get("retry-after"), reply
    assert pg.psql("SELECT count(*) FROM accounts") == accounts


# --- a file of the real list's size -----------------------------------------


def generate(path, target_bytes):
    """A LEIE-format file of about target_bytes; returns its individuals."""
    individuals = 0
    rows = []
    size = 0
    with open(path, "w", newline="") as f:
        f.write(HEADER + "\r\n")
        i = 0
        while size < target_bytes:
            if i % 50 == 49:
                row = ('"","","","SYNTHETIC SUPPLY %d, INC",OTHER BUSINESS,DME - GENERAL,,'
                       '0000000000,,"%d INDUSTRIAL PKWY, UNIT %d",PHOENIX,AZ,85001,1128b8,'
                       '20190909,00000000,00000000,' % (i, i, i % 97))
            else:
                individuals += 1
                npi = "19%08d" % (i % 10 ** 8) if i % 3 == 0 else "0000000000"
                row = ('SYNTHNAME%07d,GIVEN%05d,Q,,IND- LIC HC SERV PRO,"NURSE, REGISTERED",,'
                       '%s,19700101,"%d LONG AVENUE NAME FOR PADDING, SUITE %d",'
                       'SPRINGFIELD,IL,62701,1128a1,20%02d%02d%02d,%s,00000000,'
                       % (i, i % 100000, npi[:10], i, i % 1000, i % 25, 1 + i % 12,
                          1 + i % 28, "20210601" if i % 10 == 0 else "00000000"))
            rows.append(row)
            size += len(row) + 2
            i += 1
            if len(rows) == 10000:
                f.write("\r\n".join(rows) + "\r\n")
                rows = []
        if rows:
            f.write("\r\n".join(rows) + "\r\n")
    return individuals


def test_a_100_mb_file_loads_in_bounded_memory(rstack, tmp_path):
    pg, h = rstack
    path = str(tmp_path / "UPDATED-100MB.csv")
    individuals = generate(path, 100 * 1024 * 1024)
    assert os.path.getsize(path) >= 100 * 1024 * 1024
    t0 = time.time()
    r = subprocess.run(["/usr/bin/time", "-v", HCPD_BIN, "roster", "load", "us-oig-leie", path],
                       env=h.env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    seconds = time.time() - t0
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    assert out["entries"] == individuals
    assert out["sha256"] == sha256_of(path)
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    # measured: about 11 MB, 20 MB under AddressSanitizer
    limit_mb = 64
    print("\nroster load: %d entries from %.0f MB in %.1f s, peak RSS %.1f MB"
          % (individuals, os.path.getsize(path) / 1048576, seconds, peak_kb / 1024))
    assert peak_kb < limit_mb * 1024, "peak RSS %d kB" % peak_kb
    assert seconds < 300
    assert pg.psql("SELECT entries FROM rosters WHERE name = 'us-oig-leie'") == str(individuals)
    # and a check still answers from it quickly
    out = check(h, npi="1900000003", family_name="Synthname0000003", given_name="Given00003",
                license_region="IL")
    assert out["outcome"] == "excluded", out
    os.unlink(path)
