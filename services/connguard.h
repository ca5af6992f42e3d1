/*
 * connguard.h - what one client may hold of an HTTP server: at most
 * HCPD_MAX_CONNECTIONS_PER_ADDRESS open connections per address (an IPv6
 * client per /64), and deadlines a slow client cannot stretch, which
 * libmicrohttpd's own timeout (of silence only: a byte now and then resets
 * it) is not.
 *
 * A connection goes through phases, each with its deadline counted from
 * when it began: the request line within idle_ms of the connection's start
 * or of the previous reply (what keep-alive allows); the rest of the head
 * within deadline_ms of the request line; the body within deadline_ms of
 * the head; none while hcpd handles the request and sends the reply. A
 * background thread shuts down the socket of a connection past its
 * deadline, and libmicrohttpd then closes it as if the client had.
 *
 * http.c calls these from libmicrohttpd's callbacks: connguard_admit()
 * from the accept policy, connguard_opened()/connguard_closed() from the
 * connection notifier, connguard_enter() as a request moves on.
 */
#ifndef HCPD_CONNGUARD_H
#define HCPD_CONNGUARD_H

#include <stdbool.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "err.h"
#include "netaddr.h"

struct connguard_conf {
	int per_address;                    /* open connections per address group; 0: no cap */
	int deadline_ms;                    /* for the head, then for the body */
	int idle_ms;                        /* for the request line */
	const struct netaddr_cidrs *exempt; /* peers without a cap (trusted proxies); borrowed */
};

enum connguard_phase {
	CONNGUARD_LINE,     /* waiting for a request line: idle_ms */
	CONNGUARD_HEAD,     /* the request line is in, the headers are coming: deadline_ms */
	CONNGUARD_BODY,     /* the head is in, the body is coming: deadline_ms */
	CONNGUARD_HANDLING, /* the request is in: no deadline */
};

struct connguard;

/* Starts the thread that enforces deadlines (call with the signal mask
 * set: it inherits it). conf is copied; conf->exempt must outlive the
 * guard. ERR_NOMEM when memory or the thread is short. */
enum err connguard_new(const struct connguard_conf *conf, struct connguard **ret_guard);

/* Stops the thread and frees. Call after the daemon has stopped (every
 * connection closed). Accepts NULL. */
void connguard_free(struct connguard *g);

/* May a connection from addr be accepted (is its group under the cap)?
 * Counts a refusal in the metrics. Thread-safe. */
bool connguard_admit(struct connguard *g, const struct sockaddr *addr);

/* A connection was accepted: counts it against its group and starts its
 * request-line deadline. Keeps its state in *socket_context. When that
 * state cannot be allocated, the connection is shut down at once. */
void connguard_opened(struct connguard *g, struct MHD_Connection *conn, void **socket_context);

/* The connection is closing (its socket is still open): uncounts it and
 * forgets it. */
void connguard_closed(struct connguard *g, void **socket_context);

/* The connection's request moved to phase: its deadline restarts (or, for
 * CONNGUARD_HANDLING, stops). Cheap (an atomic store); thread-safe. */
void connguard_enter(struct connguard *g, struct MHD_Connection *conn, enum connguard_phase phase);

#endif
