/*
 * paced_load.c - an open-loop HTTP/1.1 load generator for `make bench`'s
 * latency bars (wrk2 is not in Debian; wrk's closed loop cannot hold a
 * fixed rate). Request i is due at start + i / RATE; it goes out on the
 * first idle keep-alive connection, and its latency is counted from when
 * it was due, not from when it went out, so a server that stalls is not
 * excused by the requests it kept from being sent (coordinated omission).
 *
 *   bin/tests/perf_paced_load [-m METHOD] [-H 'Name: value']... [-b BODY]
 *           HOST:PORT PATH RATE SECONDS CONNECTIONS
 *
 * BODY may hold "{n}", replaced by a number unique to each request in
 * this run (with -t TAG: TAG then the number), e.g. for unique emails.
 * One thread, epoll, at most 1,000 connections. Prints one JSON object:
 * due, sent, completed, errors (connection failures and unparsable
 * replies), rate (completions a second), latency in ms (p50, p90, p99,
 * p999, max) overall and per status, and for 503 replies how many came
 * without a Retry-After header.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNS_MAX   1000
#define HEADERS_MAX 16
#define REPLY_MAX   (256 * 1024) /* bytes of one reply kept while parsing */
#define REQUEST_MAX (64 * 1024)
#define STATUS_MAX  600

struct conn {
	int fd;
	bool busy;
	double due; /* when the request now in flight was due */
	char req[REQUEST_MAX];
	size_t req_len, req_off;
	char *in; /* REPLY_MAX bytes */
	size_t in_len;
};

struct opts {
	const char *method, *body, *tag;
	const char *headers[HEADERS_MAX];
	int nheaders;
	struct sockaddr_in addr;
	char host[64];
	const char *path;
	double rate, seconds;
	int nconns;
};

/* Latencies in ms, grown as needed: all of them, then per status. */
struct samples {
	double *v;
	size_t n, cap;
};

static struct samples all, by_status[STATUS_MAX];
static unsigned long unique_n, retry_after_missing;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add(struct samples *s, double ms)
{
	if (s->n == s->cap) {
		size_t cap = s->cap > 0 ? s->cap * 2 : 1024;
		double *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL) {
			fprintf(stderr, "paced_load: out of memory\n");
			exit(1);
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ms;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const struct samples *s, double p)
{
	size_t i;

	if (s->n == 0)
		return 0;
	i = (size_t)(p * (double)(s->n - 1) + 0.5);
	return s->v[i];
}

static void print_latency(const char *name, struct samples *s, bool comma)
{
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	printf("\"%s\": {\"count\": %zu, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, "
	       "\"p999\": %.3f, \"max\": %.3f}%s",
	       name, s->n, pct(s, 0.50), pct(s, 0.90), pct(s, 0.99), pct(s, 0.999),
	       s->n > 0 ? s->v[s->n - 1] : 0.0, comma ? ", " : "");
}

/* Writes the next request into c->req. */
static int build_request(struct conn *c, const struct opts *o)
{
	char body[REQUEST_MAX / 2], num[64];
	size_t blen = 0;
	int n;

	if (o->body != NULL) {
		const char *p = o->body, *hole;

		snprintf(num, sizeof(num), "%s%lu", o->tag != NULL ? o->tag : "", unique_n++);
		while ((hole = strstr(p, "{n}")) != NULL) {
			n = snprintf(body + blen, sizeof(body) - blen, "%.*s%s", (int)(hole - p), p,
				     num);
			if (n < 0 || (size_t)n >= sizeof(body) - blen)
				return -1;
			blen += (size_t)n;
			p = hole + 3;
		}
		n = snprintf(body + blen, sizeof(body) - blen, "%s", p);
		if (n < 0 || (size_t)n >= sizeof(body) - blen)
			return -1;
		blen += (size_t)n;
	}
	n = snprintf(c->req, sizeof(c->req), "%s %s HTTP/1.1\r\nHost: %s\r\n", o->method, o->path,
		     o->host);
	for (int i = 0; i < o->nheaders && n > 0 && (size_t)n < sizeof(c->req); i++)
		n += snprintf(c->req + n, sizeof(c->req) - (size_t)n, "%s\r\n", o->headers[i]);
	if (n > 0 && (size_t)n < sizeof(c->req) && o->body != NULL)
		n += snprintf(c->req + n, sizeof(c->req) - (size_t)n,
			      "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
	if (n > 0 && (size_t)n < sizeof(c->req))
		n += snprintf(c->req + n, sizeof(c->req) - (size_t)n, "\r\n");
	if (n < 0 || (size_t)n + blen >= sizeof(c->req))
		return -1;
	memcpy(c->req + n, body, blen);
	c->req_len = (size_t)n + blen;
	c->req_off = 0;
	return 0;
}

static int open_conn(struct conn *c, const struct opts *o, int ep)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET};
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) != 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->busy = false;
	c->in_len = 0;
	return 0;
}

static void close_conn(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->busy = false;
}

static void flush_request(struct conn *c)
{
	while (c->req_off < c->req_len) {
		ssize_t w = send(c->fd, c->req + c->req_off, c->req_len - c->req_off, MSG_NOSIGNAL);

		if (w <= 0)
			return; /* EAGAIN: EPOLLOUT resumes; an error shows on read */
		c->req_off += (size_t)w;
	}
}

/* A whole reply in c->in? Returns its length and fills status and
 * whether it had Retry-After; 0 when more is needed, -1 when broken. */
static long reply_complete(struct conn *c, int *ret_status, bool *ret_retry_after)
{
	char *end, *p, *line;
	long clen = 0, head;

	if (c->in_len < 12)
		return 0;
	c->in[c->in_len] = '\0';
	end = strstr(c->in, "\r\n\r\n");
	if (end == NULL)
		return c->in_len >= REPLY_MAX - 1 ? -1 : 0;
	if (strncmp(c->in, "HTTP/1.1 ", 9) != 0 && strncmp(c->in, "HTTP/1.0 ", 9) != 0)
		return -1;
	*ret_status = atoi(c->in + 9);
	*ret_retry_after = false;
	head = (long)(end - c->in) + 4;
	for (line = strstr(c->in, "\r\n") + 2; line < end; line = p + 2) {
		p = strstr(line, "\r\n");
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			clen = atol(line + 15);
		else if (strncasecmp(line, "Retry-After:", 12) == 0)
			*ret_retry_after = true;
	}
	if (clen < 0 || head + clen >= REPLY_MAX)
		return -1;
	return (long)c->in_len >= head + clen ? head + clen : 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	char *colon;
	int i = 1;

	o->method = "GET";
	for (; i < argc && argv[i][0] == '-' && i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "-m") == 0)
			o->method = argv[i + 1];
		else if (strcmp(argv[i], "-b") == 0)
			o->body = argv[i + 1];
		else if (strcmp(argv[i], "-t") == 0)
			o->tag = argv[i + 1];
		else if (strcmp(argv[i], "-H") == 0 && o->nheaders < HEADERS_MAX)
			o->headers[o->nheaders++] = argv[i + 1];
		else
			return -1;
	}
	if (argc - i != 5)
		return -1;
	snprintf(o->host, sizeof(o->host), "%s", argv[i]);
	colon = strrchr(o->host, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	o->addr.sin_family = AF_INET;
	o->addr.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, o->host, &o->addr.sin_addr) != 1)
		return -1;
	*colon = ':';
	o->path = argv[i + 1];
	o->rate = atof(argv[i + 2]);
	o->seconds = atof(argv[i + 3]);
	o->nconns = atoi(argv[i + 4]);
	return o->rate > 0 && o->seconds > 0 && o->nconns > 0 && o->nconns <= CONNS_MAX ? 0 : -1;
}

/* Reads what c's socket holds; records each reply completed. */
static void on_readable(struct conn *c, const struct opts *o, int ep, unsigned long *completed,
			unsigned long *errors)
{
	for (;;) {
		ssize_t r = recv(c->fd, c->in + c->in_len, REPLY_MAX - 1 - c->in_len, 0);
		long len;
		int status;
		bool retry_after;

		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			if (c->busy)
				(*errors)++;
			close_conn(c);
			if (open_conn(c, o, ep) != 0)
				(*errors)++;
			return;
		}
		if (r < 0)
			return;
		c->in_len += (size_t)r;
		len = reply_complete(c, &status, &retry_after);
		if (len < 0 || (len > 0 && !c->busy)) {
			(*errors)++;
			close_conn(c);
			if (open_conn(c, o, ep) != 0)
				(*errors)++;
			return;
		}
		if (len == 0)
			continue;
		double ms = (now() - c->due) * 1e3;

		add(&all, ms);
		if (status > 0 && status < STATUS_MAX)
			add(&by_status[status], ms);
		if (status == 503 && !retry_after)
			retry_after_missing++;
		(*completed)++;
		memmove(c->in, c->in + len, c->in_len - (size_t)len);
		c->in_len -= (size_t)len;
		c->busy = false;
	}
}

int main(int argc, char **argv)
{
	static struct conn conns[CONNS_MAX];
	struct epoll_event evs[64];
	struct opts o = {0};
	unsigned long due = 0, sent = 0, completed = 0, errors = 0;
	double start, stop;
	int ep;

	if (parse_args(argc, argv, &o) != 0) {
		fprintf(stderr,
			"usage: %s [-m METHOD] [-H 'Name: value']... [-b BODY] [-t TAG] "
			"HOST:PORT PATH RATE SECONDS CONNECTIONS\n",
			argv[0]);
		return 2;
	}
	ep = epoll_create1(0);
	for (int i = 0; i < o.nconns; i++) {
		conns[i].in = malloc(REPLY_MAX);
		if (ep < 0 || conns[i].in == NULL || open_conn(&conns[i], &o, ep) != 0) {
			fprintf(stderr, "paced_load: cannot connect\n");
			return 1;
		}
	}
	start = now();
	stop = start + o.seconds;
	for (;;) {
		double t = now();
		int n, wait_ms;

		/* hand every request now due to an idle connection */
		while (t < stop && start + (double)due / o.rate <= t) {
			struct conn *c = NULL;

			for (int i = 0; i < o.nconns && c == NULL; i++)
				if (conns[i].fd >= 0 && !conns[i].busy)
					c = &conns[i];
			if (c == NULL)
				break; /* all busy: it waits, and its latency runs */
			if (build_request(c, &o) != 0) {
				fprintf(stderr, "paced_load: request too big\n");
				return 1;
			}
			c->busy = true;
			c->due = start + (double)due / o.rate;
			due++;
			sent++;
			flush_request(c);
		}
		if (t >= stop) {
			bool idle = true;

			for (int i = 0; i < o.nconns; i++)
				idle = idle && !conns[i].busy;
			if (idle || t >= stop + 5)
				break; /* every reply in, or 5 s of grace spent */
		}
		wait_ms = (int)((start + (double)due / o.rate - t) * 1e3);
		wait_ms = wait_ms < 0 ? 1 : wait_ms > 10 ? 10 : wait_ms;
		n = epoll_wait(ep, evs, 64, wait_ms);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->fd < 0)
				continue;
			if (evs[i].events & EPOLLOUT)
				flush_request(c);
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_readable(c, &o, ep, &completed, &errors);
		}
	}
	printf("{\"due\": %lu, \"sent\": %lu, \"completed\": %lu, \"errors\": %lu, "
	       "\"seconds\": %.3f, \"rate\": %.1f, \"retry_after_missing\": %lu, ",
	       (unsigned long)(o.rate * o.seconds), sent, completed, errors, o.seconds,
	       (double)completed / o.seconds, retry_after_missing);
	print_latency("latency_ms", &all, true);
	printf("\"by_status\": {");
	for (int s = 0, first = 1; s < STATUS_MAX; s++) {
		char name[8];

		if (by_status[s].n == 0)
			continue;
		if (!first)
			printf(", ");
		first = 0;
		snprintf(name, sizeof(name), "%d", s);
		print_latency(name, &by_status[s], false);
	}
	printf("}}\n");
	for (int i = 0; i < o.nconns; i++) {
		close_conn(&conns[i]);
		free(conns[i].in);
	}
	free(all.v);
	for (int s = 0; s < STATUS_MAX; s++)
		free(by_status[s].v);
	close(ep);
	return 0;
}
