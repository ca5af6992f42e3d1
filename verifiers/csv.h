/*
 * csv.h - a streaming RFC 4180 CSV parser. Push-based: the caller feeds
 * chunks of any size (a byte at a time works) and the parser calls back
 * once per record with its fields. Handles quoted fields, doubled quotes,
 * CRLF and LF line ends, a last record without a line end and a leading
 * UTF-8 byte-order mark.
 *
 * Memory is bounded whatever the input: one record of at most
 * CSV_FIELDS_MAX fields of at most CSV_FIELD_MAX bytes each is held, and
 * a record that would be larger is an error. Errors name the line, never
 * the content. Pure: no I/O, no logging; that is what makes it fuzzable.
 */
#ifndef HCPD_CSV_H
#define HCPD_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define CSV_FIELD_MAX  4096 /* bytes of one field (unquoted, doubled quotes undone) */
#define CSV_FIELDS_MAX 64   /* fields of one record */

struct csv_parser;

/* Called once per record, in order. fields[i] is NUL-terminated and
 * lens[i] long (a field never holds a NUL byte); both arrays and the
 * strings are borrowed until the callback returns. line is the 1-based
 * line the record starts on (every LF counts, also those inside quoted
 * fields). An empty line is a record of one empty field. Returning
 * anything but ERR_OK stops the parse: csv_feed() and csv_finish()
 * return that code from then on. */
typedef enum err (*csv_record_fn)(void *ctx, size_t line, const char *const *fields,
				  const size_t *lens, size_t n);

/* A parser calling record(ctx, ...) for each record. ERR_NOMEM. */
enum err csv_parser_new(csv_record_fn record, void *ctx, struct csv_parser **ret_parser);

/* Sets how fields are separated and quoted, before the first csv_feed():
 * delimiter (',' by default; ';', '|', a tab...) and whether '"' quotes a
 * field (true by default; false: quotes are ordinary bytes, for files
 * written without quoting whose fields may hold one). ERR_INVALID for a
 * delimiter that is '"', CR, LF or NUL. */
enum err csv_parser_format(struct csv_parser *parser, char delimiter, bool quoting);

/* From the next record on, copies only the fields i < n with keep[i]
 * true: the others reach the callback empty (length 0), though still
 * counted and checked against the caps; keep NULL copies every field
 * again. For a reader that uses a few of many columns (a roster maps 4
 * of the RPPS extract's 53): copying is where a large file's time goes. */
void csv_parser_keep(struct csv_parser *parser, const bool *keep, size_t n);

/* Frees the parser. Accepts NULL. */
void csv_parser_free(struct csv_parser *parser);

/* Parses len more bytes, calling back for every record they complete.
 * ERR_INVALID for malformed CSV (a quote inside an unquoted field, text
 * after a closing quote, a CR not followed by LF outside quotes, a NUL
 * byte), ERR_TOO_BIG when a field or record exceeds its cap, or the
 * callback's own error. After an error every later call returns it again
 * and makes no callback. */
enum err csv_feed(struct csv_parser *parser, const void *data, size_t len);

/* The end of the input: delivers a last record that had no line end.
 * ERR_INVALID for a quoted field never closed; otherwise as csv_feed(). */
enum err csv_finish(struct csv_parser *parser);

/* After csv_feed() or csv_finish() failed: the line of the record at
 * fault (as passed to the callback), and a static description of what is
 * wrong with it ("" when the callback refused the record). */
size_t csv_error_line(const struct csv_parser *parser);
const char *csv_error_text(const struct csv_parser *parser);

#endif
