-- 0010: privacy hardening - the consent history becomes append-only in the
-- schema itself, like the ledger and the audit log (0004).
--
-- hcpd never updates or deletes a consents row: a change is a new row
-- (db/consents.c), erasure and the retention purge keep every row as a
-- pseudonymous record naming the account id only (db/privacy.c), and
-- accounts rows are never deleted, so no foreign key ever needs to remove
-- one. From here on the database refuses it too, whoever asks: an opt-out
-- on record cannot be edited or lost.

CREATE TRIGGER consents_append_only BEFORE UPDATE OR DELETE ON consents
	FOR EACH ROW EXECUTE FUNCTION hcpd_append_only();
CREATE TRIGGER consents_no_truncate BEFORE TRUNCATE ON consents
	FOR EACH STATEMENT EXECUTE FUNCTION hcpd_append_only();
