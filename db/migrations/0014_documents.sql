-- 0014: licence documents (issue 19 item 5). A professional uploads proof
-- of a licence (a PDF, JPEG or PNG of at most 10 MiB); admins read it on
-- the review item.
--
-- The bytes are kept only sealed: services/h_documents.c cuts a document
-- into chunks and seals each with the account's data key (AES-256-GCM,
-- aad "<account id>/document/<id>.<ext>/<chunk>/<chunks>"), so erasure,
-- which destroys that key, leaves nothing readable here or in any dump
-- or backup of this database. Chunks keep every statement, and every
-- buffer libpq holds for it, small. No file name, no hash of the
-- plaintext (a fingerprint that would outlive erasure) is kept; the
-- type, size and time are all that is in clear.

CREATE TABLE documents (
	id           uuid PRIMARY KEY,
	account_id   uuid NOT NULL REFERENCES accounts (id),
	content_type text NOT NULL
		CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
	size_bytes   integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 10485760),
	chunks       integer NOT NULL CHECK (chunks BETWEEN 1 AND 99),
	uploaded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX documents_account ON documents (account_id, uploaded_at);

CREATE TABLE document_chunks (
	document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
	seq         integer NOT NULL CHECK (seq >= 0),
	sealed      bytea NOT NULL,
	PRIMARY KEY (document_id, seq)
);

-- ciphertext does not compress: store it out of line as it is
ALTER TABLE document_chunks ALTER COLUMN sealed SET STORAGE EXTERNAL;

-- request_info can ask for a document; an upload then answers it, as a
-- written answer does (review_responses with document_id and no message)
ALTER TABLE review_decisions ADD COLUMN document_requested boolean NOT NULL DEFAULT false;
ALTER TABLE review_responses ALTER COLUMN message_enc DROP NOT NULL;
-- no foreign key: the document may be deleted (by the professional, the
-- purge or erasure) while the answer stays on record
ALTER TABLE review_responses ADD COLUMN document_id uuid;
ALTER TABLE review_responses ADD CONSTRAINT review_responses_message_or_document
	CHECK ((message_enc IS NULL) <> (document_id IS NULL));
