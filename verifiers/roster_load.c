/*
 * roster_load.c - `hcpd roster load`: a roster file (or standard input;
 * a zip archive's one file, libzip) streamed through the digest, an iconv conversion to UTF-8 when
 * the definition's encoding is another (WINDOWS-1252, ISO-8859-1), the CSV parser in the
 * definition's format, and roster_map_record() into the COPY db_roster_load() holds open in its one
 * transaction. Memory stays bounded whatever the file's size. Owns the load's buffers only; never
 * logs; messages name lines and columns, never a value of the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zip.h>

#include "crypto.h"
#include "csv.h"
#include "roster.h"
#include "validate.h"

#define READ_CHUNK 65536 /* bytes of the file read at once */
/* a single-byte encoding's character is at most 3 bytes of UTF-8 */
#define UTF8_CHUNK (3 * READ_CHUNK)

/* A load in progress: the file, its digest, the parser, the COPY. */
struct load {
	const struct verifier *v;
	int fd;
	zip_t *zip; /* a zipped file: its one entry is read, not fd */
	zip_file_t *entry;
	EVP_MD_CTX *md;
	struct csv_parser *csv;
	struct db_roster_copy *copy; /* lent by db_roster_load() */
	roster_row_fn put;           /* roster_read(): each row to it instead of copy */
	void *put_ctx;
	struct roster_map map;
	bool have_header;
	char today[11];
	char extract_date[11]; /* from the file's (or zip entry's) name; "" none */
	long long entries;
	unsigned char sha256[32];
	char *why;
	size_t why_len;
	struct roster_row row;
	iconv_t conv; /* to UTF-8; (iconv_t)-1 when the file is UTF-8 already */
	unsigned char chunk[READ_CHUNK];
	char utf8[UTF8_CHUNK];
};

static enum err on_record(void *ctx, size_t line, const char *const *fields, const size_t *lens,
			  size_t n)
{
	struct load *l = ctx;
	char what[256] = "";
	enum err err;

	if (!l->have_header) {
		err = roster_map_header(l->v, fields, n, &l->map, what, sizeof(what));
		l->have_header = err == ERR_OK;
		if (l->have_header) { /* the records' other columns are not copied */
			bool keep[CSV_FIELDS_MAX] = {false};

			for (int r = 0; r < ROSTER_ROLES; r++)
				if (l->map.column[r] >= 0 && l->map.column[r] < CSV_FIELDS_MAX)
					keep[l->map.column[r]] = true;
			csv_parser_keep(l->csv, keep, CSV_FIELDS_MAX);
		}
	} else {
		err = roster_map_record(l->v, &l->map, l->today, fields, lens, n, &l->row, what,
					sizeof(what));
		if (err == ERR_NOT_FOUND)
			return ERR_OK; /* skipped */
		if (err == ERR_OK) {
			err = l->put != NULL ? l->put(l->put_ctx, &l->row)
					     : db_roster_put(l->copy, &l->row.entry);
			l->entries += err == ERR_OK;
			if (err == ERR_INVALID)
				snprintf(what, sizeof(what), "the row cannot be stored");
		}
	}
	if (err != ERR_OK && what[0] != '\0')
		snprintf(l->why, l->why_len, "line %zu: %s", line, what);
	return err;
}

/* n bytes of l->chunk to the parser, as UTF-8. The encodings offered are
 * single-byte, so a chunk never ends inside a character. */
static enum err feed(struct load *l, size_t n)
{
	char *in = (char *)l->chunk, *out = l->utf8;
	size_t in_left = n, out_left = sizeof(l->utf8);

	if (l->conv == (iconv_t)-1)
		return csv_feed(l->csv, l->chunk, n);
	if (iconv(l->conv, &in, &in_left, &out, &out_left) == (size_t)-1) {
		/* WINDOWS-1252 leaves five bytes undefined (0x81, 0x8D, ...) */
		snprintf(l->why, l->why_len, "the file holds a byte that is not %s text",
			 roster_file_format(l->v).encoding);
		return ERR_INVALID;
	}
	return csv_feed(l->csv, l->utf8, sizeof(l->utf8) - out_left);
}

void roster_extract_date(const char *name, char ret_date[11])
{
	const char *base = name != NULL ? strrchr(name, '/') : NULL;
	const char *s = base != NULL ? base + 1 : name;

	ret_date[0] = '\0';
	while (s != NULL && *s != '\0') {
		size_t run = strspn(s, "0123456789");

		if (run == 8 || run == 12) {
			snprintf(ret_date, 11, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
			if (validate_date(ret_date))
				return;
			ret_date[0] = '\0';
		}
		s += run > 0 ? run : 1;
	}
}

/* When the file at path is a zip archive (PK\3\4), opens its one file
 * entry for reading instead of fd (the registers deliver their extracts
 * zipped). ERR_INVALID, with why, for an archive of another number of
 * files or one libzip cannot read. */
static enum err zip_entry(struct load *l, const char *path)
{
	unsigned char magic[4];
	zip_int64_t n, file = -1;
	int files = 0, zerr = 0;

	if (pread(l->fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    memcmp(magic, "PK\3\4", 4) != 0)
		return ERR_OK; /* not a zip, or not seekable (a pipe): read as it is */
	l->zip = zip_open(path, ZIP_RDONLY, &zerr);
	n = l->zip != NULL ? zip_get_num_entries(l->zip, 0) : 0;
	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(l->zip, (zip_uint64_t)i, 0);
		size_t len = name != NULL ? strlen(name) : 0;

		if (len > 0 && name[len - 1] != '/') { /* not a directory */
			files++;
			file = i;
		}
	}
	if (files == 1) { /* the extract's own name carries its date, rather than the archive's */
		char date[11];

		roster_extract_date(zip_get_name(l->zip, (zip_uint64_t)file, 0), date);
		if (date[0] != '\0')
			memcpy(l->extract_date, date, sizeof(date));
	}
	if (l->zip == NULL || files != 1 ||
	    (l->entry = zip_fopen_index(l->zip, (zip_uint64_t)file, 0)) == NULL) {
		snprintf(l->why, l->why_len,
			 l->zip == NULL ? "the zip archive cannot be read"
					: "the zip archive must hold exactly one file");
		return ERR_INVALID;
	}
	return ERR_OK;
}

/* db_roster_producer: the file through the digest, the parser, on_record. */
static enum err produce(void *ctx, struct db_roster_copy *copy, unsigned char ret_sha256[32])
{
	struct load *l = ctx;
	unsigned int md_len = 0;
	enum err err = ERR_OK;
	ssize_t got;

	l->copy = copy;
	for (;;) {
		got = l->entry != NULL ? (ssize_t)zip_fread(l->entry, l->chunk, sizeof(l->chunk))
				       : read(l->fd, l->chunk, sizeof(l->chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(l->why, l->why_len, "the file cannot be read (%s)",
				 l->entry != NULL ? "a damaged zip entry" : strerror(errno));
			return ERR_IO;
		}
		if (got == 0)
			break;
		if (EVP_DigestUpdate(l->md, l->chunk, (size_t)got) != 1)
			return ERR_CRYPTO;
		err = feed(l, (size_t)got);
		if (err != ERR_OK)
			goto out;
	}
	err = csv_finish(l->csv);
	if (err != ERR_OK)
		goto out;
	if (!l->have_header || l->entries == 0) {
		snprintf(l->why, l->why_len,
			 !l->have_header ? "the file is empty"
					 : "no entries after the header line");
		return ERR_INVALID;
	}
	if (EVP_DigestFinal_ex(l->md, l->sha256, &md_len) != 1 || md_len != sizeof(l->sha256))
		return ERR_CRYPTO;
	memcpy(ret_sha256, l->sha256, sizeof(l->sha256));
out:
	if (err != ERR_OK && l->why[0] == '\0' && csv_error_text(l->csv)[0] != '\0')
		snprintf(l->why, l->why_len, "line %zu: %s", csv_error_line(l->csv),
			 csv_error_text(l->csv));
	return err;
}

/* Frees what open_load() made. Accepts NULL. */
static void load_free(struct load *l)
{
	if (l == NULL)
		return;
	if (l->entry != NULL)
		zip_fclose(l->entry);
	if (l->zip != NULL)
		zip_discard(l->zip);
	if (l->fd >= 0)
		close(l->fd);
	if (l->conv != (iconv_t)-1)
		iconv_close(l->conv);
	csv_parser_free(l->csv);
	EVP_MD_CTX_free(l->md);
	free(l);
}

/* Opens path ("-": standard input) as v's roster file: the zip entry,
 * the parser in v's format, the conversion from its encoding, the digest;
 * today is the date of the load. */
static enum err load_open(const struct verifier *v, const char *path, char *why, size_t why_len,
			  struct load **ret_load)
{
	struct load *l = NULL;
	time_t now = time(NULL);
	struct tm tm;
	enum err err = ERR_NOMEM;

	why[0] = '\0';
	if (!roster_is(v)) {
		snprintf(why, why_len, "not a roster_csv verifier");
		return ERR_INVALID;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return ERR_NOMEM;
	l->v = v;
	l->why = why;
	l->why_len = why_len;
	l->conv = (iconv_t)-1;
	l->fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (l->fd < 0) {
		snprintf(why, why_len, "%s: cannot open (%s)", path, strerror(errno));
		err = ERR_IO;
		goto out;
	}
	if (strcmp(path, "-") != 0)
		roster_extract_date(path, l->extract_date);
	if (strcmp(path, "-") != 0 && (err = zip_entry(l, path)) != ERR_OK)
		goto out;
	err = ERR_NOMEM;
	gmtime_r(&now, &tm);
	strftime(l->today, sizeof(l->today), "%Y-%m-%d", &tm);
	l->md = EVP_MD_CTX_new();
	if (l->md == NULL || csv_parser_new(on_record, l, &l->csv) != ERR_OK)
		goto out;
	err = csv_parser_format(l->csv, roster_file_format(v).delimiter,
				roster_file_format(v).quoting);
	if (err != ERR_OK)
		goto out;
	err = ERR_NOMEM;
	if (roster_file_format(v).encoding != NULL &&
	    (l->conv = iconv_open("UTF-8", roster_file_format(v).encoding)) == (iconv_t)-1)
		goto out;
	err = EVP_DigestInit_ex(l->md, EVP_sha256(), NULL) == 1 ? ERR_OK : ERR_CRYPTO;
out:
	if (err != ERR_OK)
		load_free(l);
	else
		*ret_load = l;
	return err;
}

enum err roster_load(PGconn *conn, const struct verifier *v, const char *path,
		     struct roster_report *ret_report, char *why, size_t why_len)
{
	struct load *l = NULL;
	struct roster_report report = {0};
	struct db_roster_target t = {0};
	char *countries = NULL, *professions = NULL;
	enum err err;

	err = load_open(v, path, why, why_len, &l);
	if (err != ERR_OK)
		return err;
	err = ERR_NOMEM;
	countries = json_dumps(v->countries, JSON_COMPACT);
	professions =
		v->professions != NULL ? json_dumps(v->professions, JSON_COMPACT) : strdup("[]");
	if (countries == NULL || professions == NULL)
		goto out;
	t.name = v->name;
	t.countries = countries;
	t.professions = professions;
	t.extract_date = l->extract_date[0] != '\0' ? l->extract_date : NULL;
	err = db_roster_load(conn, &t, produce, l, &report.entries, &report.queued);
	if (err != ERR_OK)
		goto out;
	crypto_hex(l->sha256, sizeof(l->sha256), report.sha256);
	memcpy(report.extract_date, l->extract_date, sizeof(report.extract_date));
	*ret_report = report;
out:
	load_free(l);
	free(countries);
	free(professions);
	return err;
}

enum err roster_read(const struct verifier *v, const char *path, const char *today,
		     roster_row_fn put, void *ctx, char *why, size_t why_len)
{
	struct load *l = NULL;
	unsigned char sha256[32];
	enum err err;

	err = load_open(v, path, why, why_len, &l);
	if (err != ERR_OK)
		return err;
	if (today != NULL)
		snprintf(l->today, sizeof(l->today), "%s", today);
	l->put = put;
	l->put_ctx = ctx;
	err = produce(l, NULL, sha256);
	load_free(l);
	return err;
}
