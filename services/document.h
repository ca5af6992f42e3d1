/*
 * document.h - the rules of a licence document, pure: which files are
 * documents (PDF, JPEG, PNG, told by their first bytes and never by what
 * the client says), how one is cut into chunks to be sealed, and the name
 * each sealed chunk is bound to. h_documents.c does the I/O;
 * tests/unit/test_document.c holds these rules.
 */
#ifndef HCPD_DOCUMENT_H
#define HCPD_DOCUMENT_H

#include <stdbool.h>
#include <stddef.h>

#define DOCUMENTS_MAX     10           /* documents one account may hold */
#define DOCUMENT_CHUNK    (256 * 1024) /* plaintext bytes sealed per chunk */
#define DOCUMENT_WHAT_LEN 64           /* document_chunk_what()'s buffer */

/* One kind of document. */
struct document_type {
	const char *content_type;   /* "application/pdf", "image/jpeg", "image/png" */
	const char *ext;            /* "pdf", "jpg", "png": the download's file name */
	const unsigned char *magic; /* the bytes every such file starts with */
	size_t magic_len;
};

/* The type of the len bytes at buf, from their first bytes: %PDF- (ISO
 * 32000), FF D8 FF (JPEG, ITU-T T.81), 89 50 4E 47 0D 0A 1A 0A (PNG,
 * RFC 2083). NULL for anything else (an executable, a text, a file too
 * short to tell). Static. */
const struct document_type *document_type_sniff(const void *buf, size_t len);

/* The type whose content_type is ctype exactly (as stored); NULL when
 * none. */
const struct document_type *document_type_named(const char *ctype);

/* Does a request's Content-Type header (NULL when absent) name t? The
 * media type is compared without case, parameters after ';' ignored. */
bool document_type_agrees(const struct document_type *t, const char *header);

/* How many DOCUMENT_CHUNK chunks a document of size bytes is cut into
 * (size >= 1). */
int document_chunks(size_t size);

/* What chunk seq of chunks of document id (a UUID) of type t is sealed
 * as (vault_seal()'s what: "document/<id>.<ext>/<seq>/<chunks>"), into
 * what: so a chunk moved to another document, place or count, or a
 * document cut short, does not open. */
void document_chunk_what(char what[DOCUMENT_WHAT_LEN], const char *id,
			 const struct document_type *t, int seq, int chunks);

#endif
