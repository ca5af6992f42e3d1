# hcpd - build, run and test. `make run` and `make test` are the two commands
# a newcomer needs; both first install missing Debian packages (deploy/deps.sh).
#
#   make                      build bin/hcpd
#   make SANITIZE=address,undefined test
#                             everything built into bin/san/ with sanitizers
#   make run                  private PostgreSQL under var/, keys, migrate, serve
#   make test                 unit + integration + openapi lint; ends "N passed, N failed"
#   make format / format-check

SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD := bin
SANFLAGS :=
else
BUILD := bin/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

PKGS := libmicrohttpd libpq jansson libjwt libargon2 libcurl openssl
# `=` (not `:=`): pkg-config runs when a rule needs it, after `deps` has run.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))

CC ?= cc
OPT ?= -O2
CFLAGS += -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror -Wshadow -Wvla \
	  -Wformat=2 -Wno-format-nonliteral -fstack-protector-strong \
	  -Iservices -Idb -Iverifiers $(SANFLAGS)
# zxcvbn-c ships no .pc file: it is linked directly.
LDLIBS += -lzxcvbn -lpthread -lm
LDFLAGS += $(SANFLAGS)

SRCS := $(sort $(wildcard services/*.c db/*.c verifiers/*.c verifiers/*/*.c))
OBJS := $(SRCS:%.c=$(BUILD)/obj/%.o)
CORE_OBJS := $(filter-out $(BUILD)/obj/services/main.o,$(OBJS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

.PHONY: all deps deps-test build unit-bins run test format format-check clean

all:
	@./deploy/deps.sh build
	@$(MAKE) --no-print-directory build

build: $(BUILD)/hcpd

$(BUILD)/hcpd: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJS) tests/unit/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(CORE_OBJS) $(PKG_LIBS) $(LDLIBS)

unit-bins: $(UNIT_BINS)

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

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && echo "format-check: ok"

clean:
	rm -rf bin

-include $(OBJS:.o=.d)
