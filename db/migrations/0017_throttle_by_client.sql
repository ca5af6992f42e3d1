-- 0017: the sign-in throttle counts per (email, client), so that nobody can
-- lock anybody out (issue 18).
--
-- Until now one row per email index counted every wrong password, from
-- anywhere: ten wrong guesses from one address locked the account's real
-- owner out too, admins included. Now each client (a keyed hash of its
-- address group: an IPv4 address, an IPv6 /64; never the address itself)
-- has its own row per email index and its own back-off, and one row per
-- email index with client = '' counts failures from every client within a
-- day. Past that email-wide cap only clients with next to no failures for
-- the address may still try: the owner signing in from their usual place
-- gets through, the addresses that guessed do not (db/sessions.h).
-- Rows from before are dropped: they counted under the old rule, and
-- dropping a throttle row forgets at most a day of failures.

DELETE FROM login_throttle;
ALTER TABLE login_throttle ADD COLUMN client bytea NOT NULL DEFAULT ''::bytea;
ALTER TABLE login_throttle DROP CONSTRAINT login_throttle_pkey;
ALTER TABLE login_throttle ADD PRIMARY KEY (email_bidx, client);
