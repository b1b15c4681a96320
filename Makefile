# libclaude: build, test and install.
#
#   make                 the shared and static libraries
#   make check           every test: unit suites, header, docs, style
#   make check-tsan      the unit suites under ThreadSanitizer
#   make check-asan      the unit suites under AddressSanitizer and UBSan
#   make install         honours PREFIX and DESTDIR
#
# User CFLAGS, CPPFLAGS and LDFLAGS are respected; the project's own
# flags live in REAL_CFLAGS.  USE_WERROR=1 turns warnings into errors.

VERSION_MAJOR := $(shell sed -n 's/^\#define CLAUDE_VERSION_MAJOR \([0-9]*\)$$/\1/p' include/claude.h)
VERSION_MINOR := $(shell sed -n 's/^\#define CLAUDE_VERSION_MINOR \([0-9]*\)$$/\1/p' include/claude.h)
VERSION_PATCH := $(shell sed -n 's/^\#define CLAUDE_VERSION_PATCH \([0-9]*\)$$/\1/p' include/claude.h)
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
BINDIR ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

CC ?= cc
CXX ?= c++
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config

ifeq ($(USE_WERROR),1)
WERROR := -Werror
endif

WARN := -Wall -Wextra -Wstrict-prototypes -Wwrite-strings -Wshadow \
	-Wmissing-prototypes -Wno-missing-field-initializers
REAL_CFLAGS := -std=c11 -pthread -fPIC -fvisibility=hidden $(WARN) $(WERROR) \
	-Iinclude -Ilib $(SANFLAGS) $(CPPFLAGS) $(CFLAGS)
REAL_LDFLAGS := -pthread $(SANFLAGS) $(LDFLAGS)
JANSSON_CFLAGS = $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS = $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)

# Objects go under BUILD; sanitizer builds use their own directory.
BUILD ?= build
LIBOUT ?= lib

SONAME := libclaude.so.$(VERSION_MAJOR)
SHARED := $(LIBOUT)/libclaude.so.$(VERSION)
STATIC := $(LIBOUT)/libclaude.a

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))

TEST_SRC := $(filter-out test/fake-cli.c test/header-test.c,$(wildcard test/*.c))
TEST_OBJ := $(patsubst test/%.c,$(BUILD)/test/%.o,$(TEST_SRC))
TEST_BIN := $(BUILD)/test/run-tests
E2E_SRC := $(wildcard test/e2e/*.c) test/runner.c test/helpers.c
E2E_OBJ := $(patsubst test/%.c,$(BUILD)/test/%.o,$(E2E_SRC))
E2E_BIN := $(BUILD)/test/run-e2e
FAKE_CLI := $(BUILD)/test/fake-cli
EXAMPLES := $(BUILD)/tools/example-tools
CLAUDE_RUN := tools/claude-run
MODEL_SERVER := tools/model-server
MHD_CFLAGS = $(shell $(PKG_CONFIG) --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS = $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null)

TEST_CFLAGS = $(REAL_CFLAGS) -D_GNU_SOURCE $(shell $(PKG_CONFIG) --cflags check jansson 2>/dev/null)
TEST_LIBS = $(shell $(PKG_CONFIG) --libs check jansson 2>/dev/null)

MAN3 := $(wildcard man/*.3)
MAN1 := $(wildcard man/*.1)


.PHONY: all examples demo check check-unit check-e2e check-header check-docs check-style \
	check-exports check-install check-tsan check-asan deps install uninstall clean

all: $(SHARED) $(STATIC) $(LIBOUT)/libclaude.pc $(CLAUDE_RUN)

$(BUILD)/lib/%.o: lib/%.c include/claude.h $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(REAL_CFLAGS) $(JANSSON_CFLAGS) -c -o $@ $<

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) -o $@ $(LIB_OBJ) $(REAL_LDFLAGS) \
	  $(JANSSON_LIBS)
	ln -sf libclaude.so.$(VERSION) $(LIBOUT)/$(SONAME)
	ln -sf $(SONAME) $(LIBOUT)/libclaude.so

$(STATIC): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

# The .pc file names the prefix; install writes its own copy, so that a
# PREFIX given at install time is the one recorded.
write_pc = printf '%s\n' \
	  'prefix=$(PREFIX)' \
	  'libdir=$(LIBDIR)' \
	  'includedir=$(INCLUDEDIR)' \
	  '' \
	  'Name: libclaude' \
	  'Description: run Claude Code agents from C and C++' \
	  'Version: $(VERSION)' \
	  'Requires.private: jansson' \
	  'Libs: -L$${libdir} -lclaude' \
	  'Libs.private: -pthread' \
	  'Cflags: -I$${includedir}' > $(1)

$(LIBOUT)/libclaude.pc: Makefile include/claude.h
	@mkdir -p $(dir $@)
	$(call write_pc,$@)

# Tests link the static library, so they can reach the internal layers.
$(BUILD)/test/%.o: test/%.c include/claude.h $(wildcard lib/*.h test/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

$(TEST_BIN): $(TEST_OBJ) $(STATIC)
	$(CC) -o $@ $(TEST_OBJ) $(STATIC) $(TEST_LIBS) $(REAL_LDFLAGS)

$(BUILD)/test/e2e/%.o: test/e2e/%.c include/claude.h test/tests.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -Itest -c -o $@ $<

$(E2E_BIN): $(E2E_OBJ) $(STATIC)
	$(CC) -o $@ $(E2E_OBJ) $(STATIC) $(TEST_LIBS) $(REAL_LDFLAGS)

# The fake CLI is a child process; it is never built with sanitizers.
$(FAKE_CLI): test/fake-cli.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) $(WERROR) \
	  $(shell $(PKG_CONFIG) --cflags jansson) -o $@ $< \
	  $(shell $(PKG_CONFIG) --libs jansson)

# Example programs, built by make check so that they cannot rot.
$(BUILD)/tools/%: tools/%.c $(STATIC) include/claude.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -pedantic $(WARN) -Werror -Iinclude \
	  $(JANSSON_CFLAGS) -o $@ $< $(STATIC) -pthread $(JANSSON_LIBS)

examples: $(EXAMPLES)

# The terminal front end, linked statically so that it runs in place.
$(CLAUDE_RUN): tools/claude-run.c $(STATIC) include/claude.h
	$(CC) -std=c11 -pedantic $(WARN) $(WERROR) $(CPPFLAGS) $(CFLAGS) \
	  -Iinclude $(JANSSON_CFLAGS) -o $@ $< $(STATIC) -pthread \
	  $(JANSSON_LIBS) $(LDFLAGS)

# The scripted model server for the end-to-end tests and the demo.
$(MODEL_SERVER): tools/model-server.c
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(WERROR) $(CPPFLAGS) $(CFLAGS) \
	  $(MHD_CFLAGS) $(JANSSON_CFLAGS) -o $@ $< $(MHD_LIBS) $(JANSSON_LIBS) \
	  -pthread $(LDFLAGS)

deps:
	@sh tools/deps.sh

check: deps
	$(MAKE) all
	$(MAKE) check-unit
	$(MAKE) examples check-header check-exports check-docs check-style \
	  check-install check-examples

check-unit: $(TEST_BIN) $(FAKE_CLI)
	FAKE_CLI=$(abspath $(FAKE_CLI)) TEST_DATA=$(abspath test/data) $(TEST_BIN)

# The real CLI, offline, against the scripted model server.  The CLI is
# installed with npm into a cache folder outside the clone when missing.
CLAUDE_CLI_VERSION ?= 2.1.332

check-e2e: deps
	@sh tools/deps.sh libmicrohttpd-dev npm
	$(MAKE) $(MODEL_SERVER) $(E2E_BIN)
	cli=$$(CLAUDE_CLI_VERSION=$(CLAUDE_CLI_VERSION) sh tools/get-cli.sh) && \
	E2E_CLI=$$cli E2E_MODEL_SERVER=$(abspath $(MODEL_SERVER)) \
	  $(E2E_BIN)

# The front door: claude-run with in-process tools, eight parallel
# subagents, offline unless DEMO_LIVE=1.
demo: deps
	@sh tools/deps.sh libmicrohttpd-dev npm
	$(MAKE) all $(MODEL_SERVER)
	sh tools/demo.sh

check-header:
	$(CC) -std=c11 -pedantic -Wall -Wextra -Werror -Iinclude \
	  -fsyntax-only -x c include/claude.h
	$(CC) -std=c11 -pedantic -Wall -Wextra -Werror -Iinclude \
	  -o $(BUILD)/header-test test/header-test.c $(STATIC) -pthread \
	  $(JANSSON_LIBS)
	$(BUILD)/header-test
	$(CXX) -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude \
	  -fsyntax-only -x c++ test/header-test.c

check-exports: $(SHARED)
	sh tools/check-exports.sh $(SHARED)

check-docs: $(SHARED) $(STATIC)
	sh tools/check-docs.sh $(SHARED)
	mandoc -Tlint -W warning $(MAN1)

check-style:
	sh tools/check-style.sh

check-install: all $(FAKE_CLI)
	MAKE=$(MAKE) FAKE_CLI=$(abspath $(FAKE_CLI)) sh tools/check-install.sh

# A report aborts the test that caused it, so the test fails.
check-tsan: deps
	TSAN_OPTIONS='halt_on_error=1 abort_on_error=1 second_deadlock_stack=1' \
	CK_TIMEOUT_MULTIPLIER=4 \
	$(MAKE) BUILD=build/tsan LIBOUT=build/tsan SANFLAGS=-fsanitize=thread \
	  CFLAGS='-O1 -g' check-unit

check-asan: deps
	ASAN_OPTIONS='abort_on_error=1 detect_leaks=1' \
	UBSAN_OPTIONS='halt_on_error=1 print_stacktrace=1' \
	CK_TIMEOUT_MULTIPLIER=4 \
	$(MAKE) BUILD=build/asan LIBOUT=build/asan \
	  SANFLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
	  CFLAGS='-O1 -g' check-unit

install: all
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man3 \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BINDIR)
	install -m 755 $(CLAUDE_RUN) $(DESTDIR)$(BINDIR)/claude-run
	install -m 644 include/claude.h $(DESTDIR)$(INCLUDEDIR)/claude.h
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/libclaude.so.$(VERSION)
	ln -sf libclaude.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libclaude.so
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libclaude.a
	$(call write_pc,$(DESTDIR)$(PKGCONFIGDIR)/libclaude.pc)
	for m in $(MAN3); do \
	  install -m 644 $$m $(DESTDIR)$(MANDIR)/man3/ || exit 1; \
	done
	for m in $(MAN1); do \
	  install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/ || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/claude.h
	rm -f $(DESTDIR)$(LIBDIR)/libclaude.so.$(VERSION)
	rm -f $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libclaude.so
	rm -f $(DESTDIR)$(LIBDIR)/libclaude.a
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/libclaude.pc
	for m in $(notdir $(MAN3)); do \
	  rm -f $(DESTDIR)$(MANDIR)/man3/$$m; \
	done
	for m in $(notdir $(MAN1)); do \
	  rm -f $(DESTDIR)$(MANDIR)/man1/$$m; \
	done
	rm -f $(DESTDIR)$(BINDIR)/claude-run

clean:
	rm -rf build $(LIBOUT)/libclaude.so* $(LIBOUT)/libclaude.a \
	  $(LIBOUT)/libclaude.pc $(CLAUDE_RUN) $(MODEL_SERVER)

# Benchmarks: libclaude against bare C and the TypeScript SDK on a mock
# CLI (tools/bench).  BENCH_RUNS=1 makes a quick run.  The table is
# printed and written to $(BUILD)/bench/results.md.
BENCH_DIR := $(BUILD)/bench
BENCH_CFLAGS := -std=c11 -O2 -g $(WARN) $(WERROR) -Iinclude
BENCH_BIN := $(BENCH_DIR)/bench
BENCH_MOCK := $(BENCH_DIR)/mock-cli

.PHONY: bench

$(BENCH_MOCK): tools/bench/mock-cli.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

$(BENCH_BIN): tools/bench/bench.c tools/bench/ceiling.c tools/bench/bench.h \
  $(STATIC) include/claude.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(JANSSON_CFLAGS) -pthread -o $@ \
	  tools/bench/bench.c tools/bench/ceiling.c $(STATIC) $(JANSSON_LIBS) \
	  -pthread

# The TypeScript SDK is installed outside the clone; without node or
# npm, or offline, its column reads n/a with the reason.
bench: deps
	$(MAKE) $(STATIC) $(BENCH_BIN) $(BENCH_MOCK)
	@if sdk=$$(sh tools/bench/ts-setup.sh); then \
	  BENCH_TS_SDK=$$sdk; export BENCH_TS_SDK; \
	else \
	  BENCH_TS_NA=$$sdk; export BENCH_TS_NA; \
	fi; \
	$(BENCH_BIN) $(BENCH_MOCK) $(BENCH_DIR) tools/bench/ts-bench.mjs

# libFuzzer harnesses: make fuzz, each for FUZZ_SECONDS (default 60).
include test/fuzz/fuzz.mk

# The example programs and check-examples.
include tools/examples/examples.mk

# The allocation-failure test build: make check-alloc.
include test/alloc/alloc.mk

# Many sessions at once, plain and under valgrind, helgrind and TSan.
include test/stress/stress.mk
