# hcpd - build, run and test. `make run` and `make test` are the two commands
# a newcomer needs; both first install missing Debian packages (deploy/deps.sh).
#
#   make                      build bin/hcpd
#   make SANITIZE=address,undefined test
#                             everything built into bin/san/ with sanitizers
#   make run                  private PostgreSQL under var/, keys, migrate, serve
#   make test                 unit + integration + openapi lint; ends "N passed, N failed"
#   make valgrind             unit tests and fuzz replays under valgrind memcheck
#   make fuzz                 libFuzzer over every tests/fuzz target (FUZZ_SECONDS each)
#   make bench                the performance bars against same-run baselines (wrk,
#                             pgbench, the argon2id ceiling); not part of make test
#   make alloc-fail           a registration with its n-th allocation failed, every n
#                             (ALLOC_FAIL=1 SANITIZE=address build, in bin/san/allocfail/)
#   make format / format-check
#   make install [DESTDIR=...] [prefix=/usr/local]
#                             bin/hcpd and the data it reads (deploy/Dockerfile, hcpd.service)

SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD := bin
SANFLAGS :=
else
BUILD := bin/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# O=dir: build into dir instead (e.g. to keep two builds apart).
O ?=
ifneq ($(O),)
BUILD := $(O)
endif

PKGS := libmicrohttpd libpq jansson libjwt libargon2 libcurl openssl libqrencode libzip
# `=` (not `:=`): pkg-config runs when a rule needs it, after `deps` has run.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))

CC ?= cc
OPT ?= -O2
CFLAGS += -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror -Wshadow -Wvla \
	  -Wformat=2 -Wno-format-nonliteral -fstack-protector-strong $(SANFLAGS)
# The layers, each seeing only itself and what lies below it, so that an
# include the wrong way does not compile (README.md, "Layout"): the base
# (services/base/), then db/, then verifiers/, then services/. Tests see all.
INC_BASE := -iquote services/base
INC_DB := $(INC_BASE) -iquote db
INC_VERIFIERS := $(INC_DB) -iquote verifiers
INC_ALL := $(INC_VERIFIERS) -iquote services
layer_inc = $(if $(filter services/base/%,$1),$(INC_BASE),$(if $(filter db/%,$1),$(INC_DB),$(if \
	$(filter verifiers/%,$1),$(INC_VERIFIERS),$(INC_ALL))))
# zxcvbn-c ships no .pc file: it is linked directly.
LDLIBS += -lzxcvbn -lpthread -lm
LDFLAGS += $(SANFLAGS)

# ALLOC_FAIL=1: fault injection (services/base/allocfail.h); never in a release.
ALLOC_FAIL ?=
ALLOC_WRAP := malloc calloc realloc strdup strndup json_loadb json_loads jwt_decode
ifneq ($(ALLOC_FAIL),)
BUILD := $(BUILD)/allocfail
CFLAGS += -DHCPD_ALLOC_FAIL
LDFLAGS += $(ALLOC_WRAP:%=-Wl,--wrap=%)
endif

SRCS := $(sort $(wildcard services/*.c services/base/*.c db/*.c verifiers/*.c verifiers/*/*.c))
ifeq ($(ALLOC_FAIL),)
SRCS := $(filter-out services/base/allocfail.c,$(SRCS))
endif
OBJS := $(SRCS:%.c=$(BUILD)/obj/%.o)
CORE_OBJS := $(filter-out $(BUILD)/obj/services/main.o,$(OBJS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Measuring tools (not tests: tests/run skips them), built with the tests
# so they keep compiling.
PERF_BINS := $(patsubst tests/perf/%.c,$(BUILD)/tests/perf_%,$(sort $(wildcard tests/perf/*.c)))
# Fuzz targets: libFuzzer binaries for `make fuzz`, and plain replays of
# their corpora (tests/fuzz/corpus/<target>) that `make test` runs.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
REPLAY_BINS := $(FUZZ_TARGETS:%=$(BUILD)/tests/test_fuzz_%)
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -O1 -g $(INC_ALL) \
	      -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJS := $(CORE_OBJS:$(BUILD)/obj/%=bin/fuzz/obj/%)
FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
# Translations (issue 24, services/base/i18n.h): services/po/<lang>.po, each
# compiled by msgfmt into $(BUILD)/locale/C.UTF-8/LC_MESSAGES/hcpd-<lang>.mo
# (HCPD_LOCALE_DIR's default is the "locale" beside the binary). `make pot`
# extracts services/po/hcpd.pot from the sources with these keywords: the
# functions whose argument is a text a reader gets.
PO_FILES := $(sort $(wildcard services/po/*.po))
MO_DIR := $(BUILD)/locale/C.UTF-8/LC_MESSAGES
MO_FILES := $(PO_FILES:services/po/%.po=$(MO_DIR)/hcpd-%.mo)
XGETTEXT_KEYWORDS := -k -kN_ -ki18n_text:2 -ki18n_ntext:2,3 -kproblem_send:4 \
	-kproblem_send_field:4 -kjson_error_add:4 -kadd_error:5
POT_SRCS = $(sort $(wildcard services/*.c services/base/*.c))

.PHONY: all deps deps-test build unit-bins run test fuzz bench valgrind alloc-fail format format-check clean install
.PHONY: pot po-check

all:
	@./deploy/deps.sh build
	@$(MAKE) --no-print-directory build

build: $(BUILD)/hcpd $(MO_FILES)

$(MO_DIR)/hcpd-%.mo: services/po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

# The message ids, from the sources (commit the result; po-check compares).
pot:
	xgettext --from-code=UTF-8 --language=C --add-comments=TRANSLATORS: --sort-by-file \
		--package-name=hcpd --omit-header --no-location $(XGETTEXT_KEYWORDS) -o services/po/hcpd.pot \
		$(POT_SRCS)

# Every .po complete: no untranslated or fuzzy entry, every id of a
# fresh extraction present (tests/po-check; make test runs it).
po-check:
	@XGETTEXT_KEYWORDS="$(XGETTEXT_KEYWORDS)" tests/po-check $(POT_SRCS)

$(BUILD)/hcpd: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call layer_inc,$<) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJS) tests/unit/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_ALL) $(PKG_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(CORE_OBJS) $(PKG_LIBS) $(LDLIBS)

$(BUILD)/tests/perf_%: tests/perf/%.c $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_ALL) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(CORE_OBJS) $(PKG_LIBS) $(LDLIBS)

$(BUILD)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC_ALL) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(CORE_OBJS) \
		$(PKG_LIBS) $(LDLIBS)

unit-bins: $(UNIT_BINS) $(REPLAY_BINS) $(PERF_BINS)

bin/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $(PKG_CFLAGS) -c -o $@ $<

# kept between runs: they are not intermediate files to delete
.SECONDARY: $(FUZZ_OBJS)

bin/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $(filter-out %.h,$^) $(PKG_LIBS) \
		$(LDLIBS)

# Each target for FUZZ_SECONDS, then a table of executions, coverage and
# crashes (tests/fuzz/run); crashes are kept in tests/fuzz/corpus/<target>
# (commit them: make test replays them). Ends "N passed, N failed".
fuzz:
	@./deploy/deps.sh build fuzz
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=bin/fuzz/fuzz_%)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_TARGETS)

# The SPEC's performance bars (issue 9), each against a baseline measured in
# the same run: its own PostgreSQL and hcpd, load from wrk (tests/bench/*.lua)
# and tests/perf/paced_load.c, baselines from pgbench and perf_argon2_ceiling.
# Prints one table, writes it to bench/results/bench-<time>.json, ends
# "N passed, N failed" counting bars (tests/bench/run.py). About three
# minutes; BENCH_ARGS=--quick for a short smoke run.
BENCH_ARGS ?=
bench:
	@./deploy/deps.sh build run bench
	@$(MAKE) --no-print-directory build $(BUILD)/tests/perf_argon2_ceiling \
		$(BUILD)/tests/perf_paced_load $(BUILD)/tests/perf_statement
	@HCPD_BIN=$(BUILD)/hcpd /usr/bin/python3 tests/bench/run.py $(BENCH_ARGS)

# The installed layout: $(prefix)/bin/hcpd, and under $(datadir) the files
# hcpd reads at run time with the same relative paths as in the repository
# (its defaults, e.g. services/catalogue.json, work from there): migrations,
# every non-C file of services/ (catalogue, and data that handlers ship),
# verifier definitions when they exist.
prefix ?= /usr/local
datadir ?= $(prefix)/share/hcpd
INSTALL_DATA = db/migrations $(filter-out %.c %.h %.md services/base services/po,$(wildcard services/*)) \
	       $(wildcard verifiers/registries)

install: build
	install -D -m 0755 $(BUILD)/hcpd $(DESTDIR)$(prefix)/bin/hcpd
	@mkdir -p $(DESTDIR)$(datadir)/locale && cp -R $(BUILD)/locale/. $(DESTDIR)$(datadir)/locale/
	@for p in $(INSTALL_DATA); do \
		mkdir -p "$(DESTDIR)$(datadir)/$$(dirname $$p)" && \
		cp -R "$$p" "$(DESTDIR)$(datadir)/$$(dirname $$p)/" || exit 1; \
	done
	@echo "installed $(DESTDIR)$(prefix)/bin/hcpd and $(DESTDIR)$(datadir)/"

deps:
	@./deploy/deps.sh build run

run:
	@./deploy/deps.sh build run
	@$(MAKE) --no-print-directory build
	@./deploy/run.sh

test:
	@./deploy/deps.sh build run test
	@$(MAKE) --no-print-directory build unit-bins
	@HCPD_BIN=$(BUILD)/hcpd HCPD_UNIT_DIR=$(BUILD)/tests SANITIZE=$(SANITIZE) ./tests/run

# Every unit test and fuzz replay under valgrind memcheck, then bin/hcpd
# itself through a short scenario (tests/fault/test_valgrind.py); any
# report fails.
valgrind:
	@./deploy/deps.sh build run test
	@$(MAKE) --no-print-directory build unit-bins
	@p=0; f=0; for t in $(UNIT_BINS) $(REPLAY_BINS); do \
		if HCPD_UNDER_VALGRIND=1 valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect \
			$$t >/dev/null 2>bin/valgrind.log; then p=$$((p + 1)); \
		else f=$$((f + 1)); echo "valgrind: $$t"; cat bin/valgrind.log; fi; \
	done; \
	HCPD_BIN=bin/hcpd ./tests/pytest-summary -s tests/fault/test_valgrind.py | tee bin/valgrind.log; \
	line=$$(tail -1 bin/valgrind.log); p=$$((p + $${line%% passed*})); \
	f=$$((f + $$(echo "$$line" | sed -E 's/.*passed, ([0-9]+) failed/\1/'))); \
	echo "$$p passed, $$f failed"; [ $$f -eq 0 ]

# Every allocation of a registration, sign-in, refresh, GET /v1/me ... made
# to fail in turn (services/base/allocfail.h), under AddressSanitizer and
# LeakSanitizer; tests/fault/test_alloc_fail.py. Ends "N passed, N failed".
alloc-fail:
	@./deploy/deps.sh build run test
	@$(MAKE) --no-print-directory ALLOC_FAIL=1 SANITIZE=address build
	@HCPD_BIN=bin/san/allocfail/hcpd ./tests/pytest-summary -s tests/fault/test_alloc_fail.py

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && echo "format-check: ok"

clean:
	rm -rf bin

-include $(OBJS:.o=.d)

# make print-VAR: a variable's value, for the layout test (tests/integration/test_layout.py).
print-%:
	@echo '$($*)'
