/*
 * document.c - the rules of a licence document (see document.h): the
 * table of types and their signatures, chunking and chunk names. Owns
 * only constant tables; no I/O.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "document.h"

static const unsigned char pdf_magic[] = {'%', 'P', 'D', 'F', '-'};
static const unsigned char jpeg_magic[] = {0xFF, 0xD8, 0xFF};
static const unsigned char png_magic[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

static const struct document_type types[] = {
	{"application/pdf", "pdf", pdf_magic, sizeof(pdf_magic)},
	{"image/jpeg", "jpg", jpeg_magic, sizeof(jpeg_magic)},
	{"image/png", "png", png_magic, sizeof(png_magic)},
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

const struct document_type *document_type_sniff(const void *buf, size_t len)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (len >= types[i].magic_len &&
		    memcmp(buf, types[i].magic, types[i].magic_len) == 0)
			return &types[i];
	return NULL;
}

const struct document_type *document_type_named(const char *ctype)
{
	for (size_t i = 0; ctype != NULL && i < NTYPES; i++)
		if (strcmp(ctype, types[i].content_type) == 0)
			return &types[i];
	return NULL;
}

bool document_type_agrees(const struct document_type *t, const char *header)
{
	size_t n = strlen(t->content_type);

	if (header == NULL)
		return false;
	header += strspn(header, " \t");
	if (strncasecmp(header, t->content_type, n) != 0)
		return false;
	header += n;
	header += strspn(header, " \t");
	return *header == '\0' || *header == ';';
}

int document_chunks(size_t size)
{
	return (int)((size + DOCUMENT_CHUNK - 1) / DOCUMENT_CHUNK);
}

void document_chunk_what(char what[DOCUMENT_WHAT_LEN], const char *id,
			 const struct document_type *t, int seq, int chunks)
{
	snprintf(what, DOCUMENT_WHAT_LEN, "document/%.36s.%s/%d/%d", id, t->ext, seq, chunks);
}
