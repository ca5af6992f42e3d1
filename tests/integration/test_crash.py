"""kill -9 in the middle of 200 concurrent registrations: every
acknowledged registration survives, and replays with the same
Idempotency-Key give the same id and never a second account."""

import threading
import time
import uuid

from conftest import registration


def test_sigkill_under_load_loses_no_acknowledged_registration(stack):
    pg, h = stack({"HCPD_HASH_QUEUE": "400"})
    run = uuid.uuid4().hex[:8]
    bodies = [registration("crash.%s.%03d@example.org" % (run, i)) for i in range(200)]
    keys = ["crash-%s-%03d" % (run, i) for i in range(200)]
    acked = {}
    lock = threading.Lock()

    def send(i):
        try:
            r = h.api.request("POST", "/v1/registrations", body=bodies[i],
                              headers={"Idempotency-Key": keys[i]}, check=False, timeout=20)
        except OSError:
            return  # the server died under us: not acknowledged
        if r.status == 202:
            with lock:
                acked[i] = r.json["id"]

    threads = [threading.Thread(target=send, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    # let some finish, then kill mid-flight
    deadline = time.time() + 10
    while len(acked) < 20 and time.time() < deadline:
        time.sleep(0.01)
    h.proc.kill()
    h.proc.wait()
    h.log.close()
    for t in threads:
        t.join()
    assert 0 < len(acked) < 200, len(acked)

    ids = pg.psql("SELECT id FROM accounts").split()
    for i, account_id in acked.items():
        assert account_id in ids, "acknowledged registration %d lost" % i

    h.start()
    replies = {}
    for i in range(200):
        r = h.api.register(bodies[i], {"Idempotency-Key": keys[i]})
        assert r.status == 202, r.body
        replies[i] = r.json["id"]
        if i in acked:
            assert replies[i] == acked[i], "replay %d gave another id" % i
    # exactly one account per registration, none twice
    assert pg.psql("SELECT count(*) FROM accounts") == "200"
    assert len(set(replies.values())) == 200
    assert pg.psql("SELECT count(*) FROM idempotency_keys") == "200"
