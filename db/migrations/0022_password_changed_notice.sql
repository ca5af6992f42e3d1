-- 0022: a password changed by someone signed in (PATCH /v1/me/password) is
-- told to the owner too, in its own words: the reset's notice speaks of a
-- mailed link (ASVS V2.2.3: users are notified of changes to their
-- authentication details). No payload: the mailer opens the address.
INSERT INTO outbox_kinds (kind) VALUES ('password_changed_signed_in');
