/*
 * csv.c - the streaming RFC 4180 parser (see csv.h). Owns one record's
 * worth of fields, in a buffer sized by the caps so that it never grows;
 * never reads a file, never logs, never puts content into a message.
 *
 * A byte-driven state machine; runs of ordinary bytes inside a field are
 * copied at once (that is where a large file spends its time).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* Where the parser is within a record. */
enum state {
	FIELD_START, /* at the start of a field */
	UNQUOTED,    /* inside a field that did not start with a quote */
	QUOTED,      /* inside a quoted field */
	QUOTE,       /* a quote inside a quoted field: the end, or the first of two */
	CR,          /* a CR outside quotes: a LF must follow */
};

#define STR_(x) #x
#define STR(x)  STR_(x)

static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};

struct csv_parser {
	csv_record_fn record;
	void *ctx;
	char delimiter; /* ',' unless csv_parser_format() says otherwise */
	bool quoting;   /* '"' quotes a field; false: it is an ordinary byte */
	/* special(): the bytes that end a run, outside [0] and inside [1] quotes */
	bool stops[2][256];
	enum state state;
	unsigned bom_seen;  /* bytes of a byte-order mark matched so far */
	bool bom_checked;   /* the byte-order mark question is settled */
	size_t line;        /* the line being read */
	size_t record_line; /* the line the current record started on */
	bool in_record;     /* a byte of the current record was read */
	size_t nfields;     /* fields of the current record completed */
	size_t field_len;   /* bytes of the field being read */
	size_t field_kept;  /* of them, those copied into buf (all, or none when skipped) */
	bool skip_some;     /* csv_parser_keep(): fields not kept are not copied */
	bool keep[CSV_FIELDS_MAX];
	size_t used;     /* bytes of buf taken */
	enum err err;    /* the first error, sticky */
	const char *why; /* its description */
	size_t err_line; /* its record's line */
	size_t starts[CSV_FIELDS_MAX];
	size_t lens[CSV_FIELDS_MAX];
	const char *fields[CSV_FIELDS_MAX];
	/* the current record: each field NUL-terminated, one after another */
	char buf[CSV_FIELDS_MAX * (CSV_FIELD_MAX + 1)];
};

/* Fills the stops table from the delimiter and quoting. */
static void stops_set(struct csv_parser *p)
{
	memset(p->stops, 0, sizeof(p->stops));
	p->stops[1]['"'] = p->stops[1]['\n'] = p->stops[1]['\0'] = true;
	p->stops[0][(unsigned char)p->delimiter] = true;
	p->stops[0]['\n'] = p->stops[0]['\r'] = p->stops[0]['\0'] = true;
	p->stops[0]['"'] = p->quoting;
}

enum err csv_parser_new(csv_record_fn record, void *ctx, struct csv_parser **ret_parser)
{
	struct csv_parser *p = malloc(sizeof(*p));

	if (p == NULL)
		return ERR_NOMEM;
	/* buf is written before it is read: only the header needs zeroing */
	memset(p, 0, offsetof(struct csv_parser, buf));
	p->record = record;
	p->ctx = ctx;
	p->delimiter = ',';
	p->quoting = true;
	stops_set(p);
	p->state = FIELD_START;
	p->line = 1;
	*ret_parser = p;
	return ERR_OK;
}

enum err csv_parser_format(struct csv_parser *parser, char delimiter, bool quoting)
{
	if (delimiter == '"' || delimiter == '\n' || delimiter == '\r' || delimiter == '\0')
		return ERR_INVALID;
	parser->delimiter = delimiter;
	parser->quoting = quoting;
	stops_set(parser);
	return ERR_OK;
}

void csv_parser_keep(struct csv_parser *parser, const bool *keep, size_t n)
{
	parser->skip_some = keep != NULL;
	for (size_t i = 0; i < CSV_FIELDS_MAX; i++)
		parser->keep[i] = keep != NULL && i < n && keep[i];
}

void csv_parser_free(struct csv_parser *parser)
{
	free(parser);
}

static enum err fail(struct csv_parser *p, enum err err, const char *why)
{
	p->err = err;
	p->why = why;
	p->err_line = p->record_line;
	return err;
}

/* Appends len bytes to the field being read. */
static enum err append(struct csv_parser *p, const unsigned char *s, size_t len)
{
	if (p->nfields == CSV_FIELDS_MAX)
		return fail(p, ERR_TOO_BIG, "more than " STR(CSV_FIELDS_MAX) " fields");
	if (len > CSV_FIELD_MAX - p->field_len)
		return fail(p, ERR_TOO_BIG, "a field longer than " STR(CSV_FIELD_MAX) " bytes");
	p->field_len += len;
	if (p->skip_some && !p->keep[p->nfields])
		return ERR_OK; /* counted for the caps, not copied: nobody reads it */
	memcpy(p->buf + p->used, s, len);
	p->used += len;
	p->field_kept += len;
	return ERR_OK;
}

static enum err end_field(struct csv_parser *p)
{
	if (p->nfields == CSV_FIELDS_MAX)
		return fail(p, ERR_TOO_BIG, "more than " STR(CSV_FIELDS_MAX) " fields");
	p->buf[p->used] = '\0';
	p->starts[p->nfields] = p->used - p->field_kept;
	p->lens[p->nfields] = p->field_kept;
	p->nfields++;
	p->used++;
	p->field_len = 0;
	p->field_kept = 0;
	return ERR_OK;
}

static enum err end_record(struct csv_parser *p)
{
	enum err err = end_field(p);

	if (err != ERR_OK)
		return err;
	for (size_t i = 0; i < p->nfields; i++)
		p->fields[i] = p->buf + p->starts[i];
	err = p->record(p->ctx, p->record_line, p->fields, p->lens, p->nfields);
	if (err != ERR_OK)
		return fail(p, err, "");
	p->nfields = 0;
	p->used = 0;
	p->in_record = false;
	p->state = FIELD_START;
	return ERR_OK;
}

/* Bytes that end a run of ordinary bytes, outside and inside quotes: a
 * table lookup, as this is where a large file spends its time. */
static inline bool special(const struct csv_parser *p, unsigned char c, bool quoted)
{
	return p->stops[quoted][c];
}

/* Acts on a byte that ends a field outside quotes - the delimiter, LF or the
 * CR of a CRLF - into *err; false (nothing done) for any other byte. */
static bool field_end(struct csv_parser *p, unsigned char c, enum err *err)
{
	if (c == (unsigned char)p->delimiter) {
		*err = end_field(p);
		p->state = FIELD_START;
	} else if (c == '\n') {
		*err = end_record(p);
	} else if (c == '\r') {
		p->state = CR;
	} else {
		return false;
	}
	return true;
}

/* The bytes after the byte-order mark question. */
static enum err run(struct csv_parser *p, const unsigned char *s, size_t len)
{
	enum err err = ERR_OK;
	size_t i = 0;

	while (i < len && err == ERR_OK) {
		unsigned char c = s[i];

		if (!p->in_record) {
			p->in_record = true;
			p->record_line = p->line;
		}
		if (c == '\0')
			return fail(p, ERR_INVALID, "a NUL byte");
		if ((p->state == UNQUOTED || p->state == QUOTED) &&
		    !special(p, c, p->state == QUOTED)) {
			size_t j = i + 1;

			while (j < len && !special(p, s[j], p->state == QUOTED))
				j++;
			err = append(p, s + i, j - i);
			i = j;
			continue;
		}
		i++;
		switch (p->state) {
		case FIELD_START:
		case UNQUOTED:
			if (field_end(p, c, &err))
				break;
			if (c == '"' && p->quoting && p->state == FIELD_START) {
				p->state = QUOTED;
			} else if (c == '"' && p->quoting) {
				return fail(p, ERR_INVALID, "a quote inside an unquoted field");
			} else {
				err = append(p, &c, 1);
				p->state = UNQUOTED;
			}
			break;
		case QUOTED:
			if (c == '"')
				p->state = QUOTE;
			else
				err = append(p, &c, 1); /* a LF: counted below */
			break;
		case QUOTE:
			if (c == '"') {
				err = append(p, &c, 1);
				p->state = QUOTED;
			} else if (!field_end(p, c, &err)) {
				return fail(p, ERR_INVALID, "text after a closing quote");
			}
			break;
		case CR:
			if (c != '\n')
				return fail(p, ERR_INVALID, "a CR not followed by LF");
			err = end_record(p);
			break;
		}
		if (c == '\n')
			p->line++;
	}
	return err;
}

enum err csv_feed(struct csv_parser *parser, const void *data, size_t len)
{
	const unsigned char *s = data;
	struct csv_parser *p = parser;
	enum err err;

	if (p->err != ERR_OK)
		return p->err;
	/* a byte-order mark may arrive split across chunks */
	while (!p->bom_checked && len > 0) {
		if (s[0] != bom[p->bom_seen]) {
			p->bom_checked = true;
			/* what looked like a mark's start was data */
			err = run(p, bom, p->bom_seen);
			if (err != ERR_OK)
				return err;
			break;
		}
		p->bom_seen++;
		s++;
		len--;
		if (p->bom_seen == sizeof(bom))
			p->bom_checked = true;
	}
	return run(p, s, len);
}

enum err csv_finish(struct csv_parser *parser)
{
	struct csv_parser *p = parser;
	enum err err;

	if (p->err != ERR_OK)
		return p->err;
	if (!p->bom_checked) {
		p->bom_checked = true;
		err = run(p, bom, p->bom_seen);
		if (err != ERR_OK)
			return err;
	}
	if (p->state == QUOTED)
		return fail(p, ERR_INVALID, "a quoted field is not closed");
	/* a CR at the very end is taken as the line end it meant to be */
	if (p->in_record)
		return end_record(p);
	return ERR_OK;
}

size_t csv_error_line(const struct csv_parser *parser)
{
	return parser->err_line;
}

const char *csv_error_text(const struct csv_parser *parser)
{
	return parser->why != NULL ? parser->why : "";
}
