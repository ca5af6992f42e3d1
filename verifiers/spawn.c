/*
 * spawn.c - runs an external verifier program (see spawn.h): posix_spawn
 * with the program in a process group of its own, stdin and stdout on
 * pipes, stderr on /dev/null, an environment built here from scratch.
 *
 * Owns the pipes, the output buffer and the child until it is reaped;
 * spawn_free() kills the whole group and reaps the program, so no zombie
 * and no straggler outlives a struct spawn. Never blocks except in
 * spawn_run() and in spawn_free()'s reap of a program it has just sent
 * SIGKILL. Never logs, never raises SIGPIPE in hcpd (a program that
 * closes its stdin early costs it the rest of its input, nothing more).
 *
 * A program that cannot be executed ends as SPAWN_FAILED at once: a path
 * that is not an executable regular file is refused before anything is
 * started, and glibc's posix_spawn (2.24 and later, vfork-style) reports
 * any other failed exec (a missing #! interpreter, a bad binary) as its
 * own error. Where posix_spawn cannot tell (under valgrind, or with
 * another C library) such an exec failure shows as SPAWN_EXITED with a
 * non-zero exit code (127 by convention), which the process kind refuses
 * like any other non-zero exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h> /* the C library's: our headers are on the -iquote path only */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"

#define SPAWN_INPUT_MAX  65536 /* bytes of a program's stdin */
#define SPAWN_ENV_MAX    64    /* extra "NAME=value" strings */
#define SPAWN_POLL_MS    5     /* how often an awaited exit or pending input is looked at */
#define SPAWN_FIRST_BUF  4096  /* the output buffer's first size; doubled up to the cap */
#define SPAWN_READ_CHUNK 16384 /* bytes read at a time */

static const char ENV_PATH[] = "PATH=/usr/local/bin:/usr/bin:/bin";
static const char ENV_LANG[] = "LANG=C.UTF-8";

struct spawn {
	pid_t pid;          /* the program (and its group's id); 0 once reaped */
	int in_fd;          /* our end of its stdin; -1 once closed */
	int out_fd;         /* our end of its stdout; -1 once it is closed */
	char *pending;      /* input the pipe could not take at once */
	size_t pending_len; /* bytes of pending (from pending_off on) left */
	size_t pending_off;
	size_t pending_cap; /* bytes malloc'd for pending, wiped on free */
	char *out;          /* its output so far, at most max_output bytes */
	size_t out_len;
	size_t out_cap;
	size_t max_output;
	int64_t deadline_ms; /* on CLOCK_MONOTONIC */
	enum spawn_status status;
	int exit_code; /* SPAWN_EXITED: its exit status; -1 otherwise */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *spawn_status_name(enum spawn_status status)
{
	static const char *const names[] = {"running", "exited", "timeout", "too_big", "failed"};

	return (unsigned)status < sizeof(names) / sizeof(names[0]) ? names[status] : "failed";
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* write() that cannot raise SIGPIPE: the signal is blocked in this thread
 * around the call and, when the write made it pending (EPIPE) and it was
 * not pending before, taken back with sigtimedwait. Returns what write()
 * does, errno set; EINTR is retried. */
static ssize_t write_quiet(int fd, const char *buf, size_t len)
{
	static const struct timespec zero = {0, 0};
	sigset_t pipe_set, old, pending;
	bool was_pending;
	ssize_t n;
	int saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	saved = errno;
	if (n < 0 && saved == EPIPE && !was_pending) {
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

/* Writes what input is pending; closes stdin once all is written or the
 * program will take no more (EPIPE, or any other error). */
static void feed(struct spawn *s)
{
	while (s->in_fd >= 0 && s->pending_len > 0) {
		ssize_t n = write_quiet(s->in_fd, s->pending + s->pending_off, s->pending_len);

		if (n < 0 && errno == EAGAIN)
			return; /* the pipe is full: next step */
		if (n <= 0)
			break; /* EPIPE: it closed its stdin; the rest is dropped */
		s->pending_off += (size_t)n;
		s->pending_len -= (size_t)n;
	}
	s->pending_len = 0;
	close_fd(&s->in_fd);
}

/* Appends n bytes to the output; false when that would pass the cap. */
static bool keep(struct spawn *s, const char *buf, size_t n)
{
	if (n > s->max_output - s->out_len)
		return false;
	if (s->out_len + n > s->out_cap) {
		size_t cap = s->out_cap > 0 ? s->out_cap : SPAWN_FIRST_BUF;
		char *grown;

		while (cap < s->out_len + n)
			cap = cap > s->max_output / 2 ? s->max_output : cap * 2;
		if (cap > s->max_output)
			cap = s->max_output;
		grown = malloc(cap);
		if (grown == NULL)
			return false; /* treated as too big: the output cannot be kept */
		if (s->out_len > 0)
			memcpy(grown, s->out, s->out_len);
		if (s->out != NULL) {
			explicit_bzero(s->out, s->out_cap);
			free(s->out);
		}
		s->out = grown;
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_len, buf, n);
	s->out_len += n;
	return true;
}

/* Reads what output is ready. False when it passed the cap; closes out_fd
 * at end of file (or a read error, which ends the output the same way). */
static bool drain(struct spawn *s)
{
	char chunk[SPAWN_READ_CHUNK];
	bool ok = true;

	while (s->out_fd >= 0) {
		ssize_t n = read(s->out_fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			close_fd(&s->out_fd);
			break;
		}
		if (!keep(s, chunk, (size_t)n)) {
			ok = false;
			break;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	return ok;
}

/* SIGKILL to the program's whole group. The leader is not reaped yet (at
 * worst a zombie), so its id still names this group and no other. */
static void kill_group(struct spawn *s)
{
	if (s->pid > 0)
		kill(-s->pid, SIGKILL);
}

/* Reaps the program if it has exited (blocking: only after SIGKILL),
 * first killing what is left of its group. True once it is reaped. */
static bool reap(struct spawn *s, bool block, int *ret_wstatus)
{
	siginfo_t info;
	int wstatus = 0;
	pid_t got;

	if (s->pid <= 0)
		return true;
	if (!block) {
		/* look without reaping: stragglers are killed while the
		 * group's id is still held by the zombie leader */
		memset(&info, 0, sizeof(info));
		if (waitid(P_PID, (id_t)s->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
			if (errno != ECHILD)
				return false; /* EINTR: next step */
			/* reaped by someone else (SIGCHLD ignored): status unknown */
			s->pid = 0;
			if (ret_wstatus != NULL)
				*ret_wstatus = -1;
			return true;
		}
		if (info.si_pid == 0)
			return false;
	}
	kill_group(s);
	do
		got = waitpid(s->pid, &wstatus, 0);
	while (got < 0 && errno == EINTR);
	s->pid = 0;
	if (ret_wstatus != NULL)
		*ret_wstatus = got > 0 ? wstatus : -1;
	return true;
}

/* Ends s with status, the group killed; the leader reaped if it already
 * can be (else by a later step or spawn_free). */
static void finish(struct spawn *s, enum spawn_status status)
{
	siginfo_t info;

	kill_group(s);
	memset(&info, 0, sizeof(info));
	if (s->pid > 0 && waitid(P_PID, (id_t)s->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    info.si_pid != 0)
		reap(s, true, NULL);
	close_fd(&s->in_fd);
	close_fd(&s->out_fd);
	s->pending_len = 0;
	s->status = status;
}

/* The environment: PATH and LANG unless env sets them, then env. */
static char **make_env(char *const env[])
{
	size_t n = 0, k = 0;
	bool path = false, lang = false;
	char **out;

	for (; env != NULL && env[n] != NULL && n < SPAWN_ENV_MAX; n++) {
		path = path || strncmp(env[n], "PATH=", 5) == 0;
		lang = lang || strncmp(env[n], "LANG=", 5) == 0;
	}
	if (env != NULL && env[n] != NULL)
		return NULL; /* more than SPAWN_ENV_MAX: refused like an allocation */
	out = calloc(n + 3, sizeof(*out));
	if (out == NULL)
		return NULL;
	if (!path)
		out[k++] = (char *)ENV_PATH;
	if (!lang)
		out[k++] = (char *)ENV_LANG;
	for (size_t i = 0; i < n; i++)
		out[k++] = env[i];
	out[k] = NULL;
	return out;
}

/* Starts the child; false when posix_spawn could not (the program
 * cannot be executed, or no process could be made). */
static bool launch(struct spawn *s, char *const argv[], char **envp, int in_child, int out_child)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	bool ok = false;
	pid_t pid;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return false;
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return false;
	}
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	/* dup2 clears O_CLOEXEC on 0 and 1; everything else hcpd holds
	 * (database sockets, keys, other programs' pipes) stays closed */
	if (posix_spawn_file_actions_adddup2(&fa, in_child, 0) == 0 &&
	    posix_spawn_file_actions_adddup2(&fa, out_child, 1) == 0 &&
	    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) == 0 &&
	    posix_spawn_file_actions_addclosefrom_np(&fa, 3) == 0 &&
	    /* its own group (so the group can be killed), no signal blocked
	     * or ignored as hcpd's threads have them (SIGPIPE, SIGTERM) */
	    posix_spawnattr_setpgroup(&attr, 0) == 0 &&
	    posix_spawnattr_setsigmask(&attr, &none) == 0 &&
	    posix_spawnattr_setsigdefault(&attr, &all) == 0 &&
	    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						    POSIX_SPAWN_SETSIGDEF) == 0 &&
	    posix_spawn(&pid, argv[0], &fa, &attr, argv, envp) == 0) {
		s->pid = pid;
		ok = true;
	}
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return ok;
}

/* Is argv[0] an absolute path to an executable regular file? Looked at
 * before posix_spawn so that a missing program fails the same way where
 * posix_spawn cannot report a failed exec (under valgrind, which runs it
 * as a fork). */
static bool executable(char *const argv[])
{
	struct stat st;

	return argv != NULL && argv[0] != NULL && argv[0][0] == '/' && stat(argv[0], &st) == 0 &&
	       S_ISREG(st.st_mode) && access(argv[0], X_OK) == 0;
}

enum err spawn_start(char *const argv[], char *const env[], const char *input, size_t input_len,
		     size_t max_output, int timeout_ms, struct spawn **ret_spawn)
{
	int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1};
	struct spawn *s = NULL;
	char **envp = NULL;
	enum err err = ERR_TOO_BIG;

	if (input_len > SPAWN_INPUT_MAX)
		goto out;
	err = ERR_NOMEM;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto out;
	s->in_fd = s->out_fd = -1;
	s->exit_code = -1;
	s->max_output = max_output;
	s->deadline_ms = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	s->status = SPAWN_RUNNING;
	if (input_len > 0) {
		s->pending = malloc(input_len);
		if (s->pending == NULL)
			goto out;
		memcpy(s->pending, input, input_len);
		s->pending_cap = s->pending_len = input_len;
	}
	envp = make_env(env);
	if (envp == NULL)
		goto out;
	err = ERR_IO;
	if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
	    fcntl(in_pipe[1], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK) != 0)
		goto out;
	err = ERR_OK;
	if (!executable(argv) || !launch(s, argv, envp, in_pipe[0], out_pipe[1])) {
		s->status = SPAWN_FAILED;
		goto out;
	}
	s->in_fd = in_pipe[1];
	s->out_fd = out_pipe[0];
	in_pipe[1] = out_pipe[0] = -1;
	feed(s);
out:
	for (int i = 0; i < 2; i++) {
		close_fd(&in_pipe[i]);
		close_fd(&out_pipe[i]);
	}
	free(envp);
	if (err != ERR_OK) {
		spawn_free(s);
		return err;
	}
	*ret_spawn = s;
	return ERR_OK;
}

int spawn_fd(const struct spawn *s)
{
	return s->status == SPAWN_RUNNING ? s->out_fd : -1;
}

int spawn_wait_ms(const struct spawn *s)
{
	int64_t left;

	if (s->status != SPAWN_RUNNING)
		return 0;
	left = s->deadline_ms - now_ms();
	if (left < 0)
		left = 0;
	if (left > INT_MAX)
		left = INT_MAX;
	/* input still to write, or output closed and the exit awaited */
	if ((s->in_fd >= 0 || s->out_fd < 0) && left > SPAWN_POLL_MS)
		left = SPAWN_POLL_MS;
	return (int)left;
}

enum spawn_status spawn_step(struct spawn *s)
{
	int wstatus;

	if (s->status != SPAWN_RUNNING) {
		/* killed before it could be reaped: reap it now if it can be */
		if (s->pid > 0)
			reap(s, false, NULL);
		return s->status;
	}
	feed(s);
	if (!drain(s)) {
		finish(s, SPAWN_TOO_BIG);
		return s->status;
	}
	if (s->out_fd < 0 && reap(s, false, &wstatus)) {
		if (wstatus != -1 && WIFEXITED(wstatus)) {
			s->exit_code = WEXITSTATUS(wstatus);
			finish(s, SPAWN_EXITED);
		} else {
			finish(s, SPAWN_FAILED); /* killed by a signal */
		}
		return s->status;
	}
	if (now_ms() >= s->deadline_ms)
		finish(s, SPAWN_TIMEOUT);
	return s->status;
}

int spawn_exit_code(const struct spawn *s)
{
	return s->status == SPAWN_EXITED ? s->exit_code : -1;
}

const char *spawn_output(const struct spawn *s, size_t *ret_len)
{
	*ret_len = s->out_len;
	return s->out != NULL ? s->out : "";
}

void spawn_free(struct spawn *s)
{
	if (s == NULL)
		return;
	if (s->pid > 0) {
		kill_group(s);
		reap(s, true, NULL);
	}
	close_fd(&s->in_fd);
	close_fd(&s->out_fd);
	/* input and output both hold personal values */
	if (s->pending != NULL)
		explicit_bzero(s->pending, s->pending_cap);
	if (s->out != NULL)
		explicit_bzero(s->out, s->out_cap);
	free(s->pending);
	free(s->out);
	free(s);
}

enum err spawn_run(char *const argv[], char *const env[], const char *input, size_t input_len,
		   size_t max_output, int timeout_ms, struct spawn **ret_spawn)
{
	struct spawn *s = NULL;
	enum err err;

	err = spawn_start(argv, env, input, input_len, max_output, timeout_ms, &s);
	if (err != ERR_OK)
		goto out;
	while (spawn_step(s) == SPAWN_RUNNING) {
		struct pollfd pfd = {.fd = spawn_fd(s), .events = POLLIN};

		/* fd -1 is skipped by poll: a plain sleep while the exit is
		 * awaited; EINTR just means step again */
		poll(&pfd, 1, spawn_wait_ms(s));
	}
	*ret_spawn = s;
out:
	return err;
}
