/*
 * connguard.c - owns the per-group connection counts, each connection's
 * watch (its socket and deadline) and the thread that cuts connections
 * past their deadline. One lock guards the counts and the list of
 * watches; deadlines are atomics, so a request moving on takes no lock.
 *
 * A socket is only ever shut down (never closed) here, and only while its
 * watch is in the list: libmicrohttpd calls the closed notifier, which
 * takes the lock to unlist it, before it closes the socket, so the
 * descriptor cannot have been reused for another connection.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bgthread.h"
#include "connguard.h"
#include "crypto.h"
#include "metrics.h"

/* Open addressing over address groups: twice libmicrohttpd's connection
 * limit (http.c), so probes stay short and the table never fills. */
#define GROUP_SLOTS 8192
#define REAP_MS     250 /* how often deadlines are checked */

struct group {
	unsigned char addr[NETADDR_LEN];
	int count; /* 0: the slot is free */
};

struct watch {
	struct watch *prev, *next;
	MHD_socket fd;
	unsigned char group[NETADDR_LEN];
	bool counted;          /* counts against its group (not exempt, a cap is set) */
	bool cut;              /* shut down already */
	atomic_llong deadline; /* monotonic ms; 0: none */
};

struct connguard {
	struct connguard_conf conf;
	pthread_mutex_t lock; /* groups, watches, each watch's cut */
	struct watch *watches;
	struct group groups[GROUP_SLOTS];
	uint64_t seed; /* of the slot hash, so nobody aims at one slot from outside */
	struct bgthread *reaper;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t home(const struct connguard *g, const unsigned char addr[NETADDR_LEN])
{
	uint64_t h = g->seed ^ 14695981039346656037ULL; /* FNV-1a */

	for (size_t i = 0; i < NETADDR_LEN; i++)
		h = (h ^ addr[i]) * 1099511628211ULL;
	return (size_t)(h % GROUP_SLOTS);
}

/* The slot of addr, or the free slot where it would go. Under the lock. */
static size_t slot_of(const struct connguard *g, const unsigned char addr[NETADDR_LEN])
{
	size_t i = home(g, addr);

	while (g->groups[i].count != 0 && memcmp(g->groups[i].addr, addr, NETADDR_LEN) != 0)
		i = (i + 1) % GROUP_SLOTS;
	return i;
}

/* Drops one count of the group in slot i; an emptied slot is filled by
 * shifting back the entries after it that probed past it, so that every
 * lookup still finds its entry before a free slot. Under the lock. */
static void group_drop(struct connguard *g, size_t i)
{
	size_t j = i;

	if (--g->groups[i].count > 0)
		return;
	for (;;) {
		size_t k;

		j = (j + 1) % GROUP_SLOTS;
		if (g->groups[j].count == 0)
			break;
		k = home(g, g->groups[j].addr);
		/* j's entry stays when its home lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		g->groups[i] = g->groups[j];
		i = j;
	}
	g->groups[i].count = 0;
}

/* Shuts down the sockets of connections past their deadline. */
static long reap(void *arg)
{
	struct connguard *g = arg;
	long long now = now_ms();

	pthread_mutex_lock(&g->lock);
	for (struct watch *w = g->watches; w != NULL; w = w->next) {
		long long deadline = atomic_load_explicit(&w->deadline, memory_order_relaxed);

		if (deadline != 0 && now > deadline && !w->cut) {
			/* libmicrohttpd sees the end of the stream and closes it */
			shutdown(w->fd, SHUT_RDWR);
			w->cut = true;
			metrics_edge_event(METRICS_EDGE_DEADLINE);
		}
	}
	pthread_mutex_unlock(&g->lock);
	return REAP_MS;
}

enum err connguard_new(const struct connguard_conf *conf, struct connguard **ret_guard)
{
	struct connguard *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return ERR_NOMEM;
	g->conf = *conf;
	if (crypto_random(&g->seed, sizeof(g->seed)) != ERR_OK) {
		free(g);
		return ERR_CRYPTO;
	}
	pthread_mutex_init(&g->lock, NULL);
	if (bgthread_start(reap, g, &g->reaper) != ERR_OK) {
		pthread_mutex_destroy(&g->lock);
		free(g);
		return ERR_NOMEM;
	}
	*ret_guard = g;
	return ERR_OK;
}

void connguard_free(struct connguard *g)
{
	if (g == NULL)
		return;
	bgthread_stop(g->reaper);
	while (g->watches != NULL) {
		struct watch *w = g->watches;

		g->watches = w->next;
		free(w);
	}
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* The group of a peer, and whether it is capped at all. */
static bool capped_group(const struct connguard *g, const struct sockaddr *addr,
			 unsigned char group[NETADDR_LEN])
{
	unsigned char peer[NETADDR_LEN];

	netaddr_from_sockaddr(addr, peer);
	netaddr_group(peer, group);
	return g->conf.per_address > 0 &&
	       (g->conf.exempt == NULL || !netaddr_cidrs_contain(g->conf.exempt, peer));
}

bool connguard_admit(struct connguard *g, const struct sockaddr *addr)
{
	unsigned char group[NETADDR_LEN];
	int open;

	if (!capped_group(g, addr, group))
		return true;
	/* counted when opened, so a connection libmicrohttpd drops between
	 * the two is never counted; the cap can be passed by the few being
	 * accepted at this moment on other server threads */
	pthread_mutex_lock(&g->lock);
	open = g->groups[slot_of(g, group)].count;
	pthread_mutex_unlock(&g->lock);
	if (open < g->conf.per_address)
		return true;
	metrics_edge_event(METRICS_EDGE_REFUSED);
	return false;
}

void connguard_opened(struct connguard *g, struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *fd =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *peer =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct watch *w = calloc(1, sizeof(*w));

	*socket_context = NULL;
	if (w == NULL || fd == NULL) {
		if (fd != NULL)
			shutdown(fd->connect_fd, SHUT_RDWR); /* unwatched is unbounded */
		free(w);
		return;
	}
	w->fd = fd->connect_fd;
	w->counted = capped_group(g, peer != NULL ? peer->client_addr : NULL, w->group);
	atomic_init(&w->deadline, now_ms() + g->conf.idle_ms);
	pthread_mutex_lock(&g->lock);
	if (w->counted) {
		size_t i = slot_of(g, w->group);

		memcpy(g->groups[i].addr, w->group, NETADDR_LEN);
		g->groups[i].count++;
	}
	w->next = g->watches;
	if (g->watches != NULL)
		g->watches->prev = w;
	g->watches = w;
	pthread_mutex_unlock(&g->lock);
	*socket_context = w;
}

void connguard_closed(struct connguard *g, void **socket_context)
{
	struct watch *w = *socket_context;

	if (w == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	if (w->counted)
		group_drop(g, slot_of(g, w->group));
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		g->watches = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&g->lock);
	free(w);
	*socket_context = NULL;
}

void connguard_enter(struct connguard *g, struct MHD_Connection *conn, enum connguard_phase phase)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct watch *w = info != NULL ? info->socket_context : NULL;
	long long deadline = 0;

	if (w == NULL)
		return;
	if (phase == CONNGUARD_LINE)
		deadline = now_ms() + g->conf.idle_ms;
	else if (phase != CONNGUARD_HANDLING)
		deadline = now_ms() + g->conf.deadline_ms;
	atomic_store_explicit(&w->deadline, deadline, memory_order_relaxed);
}
