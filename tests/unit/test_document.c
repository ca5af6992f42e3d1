/*
 * test_document.c - the rules of a licence document (services/document.c):
 * the type told from the first bytes only, the request's Content-Type
 * agreeing with it, chunk counts at the edges, and chunk names that keep
 * a sealed chunk from opening anywhere but in its own place.
 */
#include <stdlib.h>

#include "crypto.h"
#include "document.h"
#include "harness.h"
#include "vault.h"

static const char ID[] = "0b8f8a8e-7c1d-4e55-9a0b-2f5a4f7c9d11";
static const char ACCOUNT[] = "5d6c2b1a-0e9f-4a8b-8c7d-6e5f4a3b2c1d";

TEST(types_from_magic_bytes)
{
	static const unsigned char pdf[] = "%PDF-1.7\n%\xe2\xe3";
	static const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F'};
	static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0};
	static const unsigned char exe[] = {'M', 'Z', 0x90, 0x00, 0x03, 0x00};
	static const unsigned char png_cut[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A};
	static const unsigned char crlf_png[] = {0x89, 'P', 'N', 'G', '\n', '\n', 0x1A, '\n'};

	CHECK_STREQ(document_type_sniff(pdf, sizeof(pdf) - 1)->content_type, "application/pdf");
	CHECK_STREQ(document_type_sniff(jpeg, sizeof(jpeg))->ext, "jpg");
	CHECK_STREQ(document_type_sniff(png, sizeof(png))->content_type, "image/png");
	CHECK(document_type_sniff(exe, sizeof(exe)) == NULL);
	CHECK(document_type_sniff(png_cut, sizeof(png_cut)) == NULL);   /* too short to tell */
	CHECK(document_type_sniff(crlf_png, sizeof(crlf_png)) == NULL); /* mangled in transfer */
	CHECK(document_type_sniff("%PDF", 4) == NULL);
	CHECK(document_type_sniff(" %PDF-1.4", 9) == NULL); /* the magic is at offset 0 */
	CHECK(document_type_sniff("", 0) == NULL);
}

TEST(content_type_must_name_the_type)
{
	const struct document_type *pdf = document_type_sniff("%PDF-1.4", 8);

	CHECK(document_type_agrees(pdf, "application/pdf"));
	CHECK(document_type_agrees(pdf, "Application/PDF"));
	CHECK(document_type_agrees(pdf, "application/pdf; name=x.pdf"));
	CHECK(document_type_agrees(pdf, " application/pdf ;q=1"));
	CHECK(!document_type_agrees(pdf, NULL));
	CHECK(!document_type_agrees(pdf, ""));
	CHECK(!document_type_agrees(pdf, "image/png"));
	CHECK(!document_type_agrees(pdf, "application/pdfx"));
	CHECK(!document_type_agrees(pdf, "application/octet-stream"));
	CHECK(document_type_named("image/jpeg") == document_type_sniff("\xFF\xD8\xFF", 3));
	CHECK(document_type_named("image/jpg") == NULL);
	CHECK(document_type_named(NULL) == NULL);
}

TEST(chunk_counts)
{
	CHECK(document_chunks(1) == 1);
	CHECK(document_chunks(DOCUMENT_CHUNK) == 1);
	CHECK(document_chunks(DOCUMENT_CHUNK + 1) == 2);
	CHECK(document_chunks(10 * 1024 * 1024) == 40); /* the cap: two digits in a name */
}

TEST(chunk_names)
{
	const struct document_type *png = document_type_named("image/png");
	char what[DOCUMENT_WHAT_LEN];

	document_chunk_what(what, ID, png, 39, 40);
	CHECK_STREQ(what, "document/0b8f8a8e-7c1d-4e55-9a0b-2f5a4f7c9d11.png/39/40");
	/* with the account id, what vault.c binds fits its 96-byte aad */
	CHECK(sizeof(ACCOUNT) + strlen(what) < 96);
}

/* A chunk sealed in one place opens there and nowhere else. */
TEST(a_chunk_opens_only_in_its_place)
{
	const struct document_type *pdf = document_type_named("application/pdf");
	const struct document_type *png = document_type_named("image/png");
	unsigned char key[CRYPTO_KEY_LEN] = {7}, *sealed = NULL;
	char what[DOCUMENT_WHAT_LEN], other[DOCUMENT_WHAT_LEN], *plain = NULL;
	size_t len = 0, plain_len = 0;

	document_chunk_what(what, ID, pdf, 1, 3);
	CHECK(vault_seal(key, ACCOUNT, what, "chunk bytes", 11, &sealed, &len) == ERR_OK);
	CHECK(vault_open(key, ACCOUNT, what, sealed, len, &plain, &plain_len) == ERR_OK);
	CHECK(plain_len == 11 && memcmp(plain, "chunk bytes", 11) == 0);
	free(plain);
	document_chunk_what(other, ID, pdf, 0, 3); /* another place */
	CHECK(vault_open(key, ACCOUNT, other, sealed, len, &plain, &plain_len) == ERR_CRYPTO);
	document_chunk_what(other, ID, pdf, 1, 2); /* the document cut short */
	CHECK(vault_open(key, ACCOUNT, other, sealed, len, &plain, &plain_len) == ERR_CRYPTO);
	document_chunk_what(other, ID, png, 1, 3); /* its type changed */
	CHECK(vault_open(key, ACCOUNT, other, sealed, len, &plain, &plain_len) == ERR_CRYPTO);
	document_chunk_what(other, ACCOUNT, pdf, 1, 3); /* another document */
	CHECK(vault_open(key, ACCOUNT, other, sealed, len, &plain, &plain_len) == ERR_CRYPTO);
	CHECK(vault_open(key, ID, what, sealed, len, &plain, &plain_len) == ERR_CRYPTO);
	free(sealed);
}

int main(void)
{
	RUN(types_from_magic_bytes);
	RUN(content_type_must_name_the_type);
	RUN(chunk_counts);
	RUN(chunk_names);
	RUN(a_chunk_opens_only_in_its_place);
	return harness_done();
}
