# fuzz.mk: libFuzzer harnesses for the layers that read untrusted bytes.
#
#   make -f Makefile -f test/fuzz/fuzz.mk fuzz [FUZZ_SECONDS=60]
#   make -f Makefile -f test/fuzz/fuzz.mk fuzz-build
#
# Each harness is linked with its own copy of lib/*.c, compiled by clang
# with the same sanitizers (never the gcc-built libclaude.a), and run for
# FUZZ_SECONDS from a scratch copy of its seed corpus under
# $(FUZZ_DIR)/corpus, so the committed seeds are never written to.  A
# crash leaves its input in $(FUZZ_DIR)/artifacts and fails the target
# once every harness has run.  The fragment stands alone: the variables
# the main Makefile defines are used when present.

# The fragment may be included anywhere without changing the default
# goal; the goal in force before it is restored at its end.
FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RSS_MB ?= 2048
FUZZ_ARGS ?=
FUZZ_HARNESSES ?= framer message mcp control json

BUILD ?= build
PKG_CONFIG ?= pkg-config
JANSSON_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS ?= $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || \
	echo -ljansson)

FUZZ_DIR := $(BUILD)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer

# Every sanitizer report stops the run.
FUZZ_UBSAN := halt_on_error=1:print_stacktrace=1
FUZZ_CFLAGS := -std=c11 -pthread -g -O1 -Wall -Wextra \
	-Wno-missing-field-initializers -Iinclude -Ilib $(FUZZ_SAN) \
	$(JANSSON_CFLAGS)
FUZZ_LIB_OBJ := $(patsubst lib/%.c,$(FUZZ_DIR)/lib/%.o,$(wildcard lib/*.c))
FUZZ_BIN := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_HARNESSES))

.PHONY: fuzz fuzz-build fuzz-deps

# clang and its sanitizer runtimes, installed as root when missing.
fuzz-deps:
	@sh tools/deps.sh clang libclang-rt-14-dev

# Keep the objects between builds; make would delete them as intermediate.
.SECONDARY: $(FUZZ_LIB_OBJ)

fuzz-build: $(FUZZ_BIN)

# The library is instrumented for coverage but gets no main of its own.
$(FUZZ_DIR)/lib/%.o: lib/%.c include/claude.h $(wildcard lib/*.h) | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: test/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ) $(wildcard test/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_DEFS) -fsanitize=fuzzer -o $@ $< \
	  $(FUZZ_LIB_OBJ) $(JANSSON_LIBS)

# The control harness keeps one client open on the fake CLI, which the
# main Makefile builds (gcc, no sanitizers: it is a child process).
FAKE_CLI ?= $(BUILD)/test/fake-cli
$(FUZZ_DIR)/fuzz_control: $(FAKE_CLI)
$(FUZZ_DIR)/fuzz_control: FUZZ_DEFS = \
	-DFUZZ_FAKE_CLI='"$(abspath $(FAKE_CLI))"'

# One line per harness; a crash is reported with its log and fails the
# target after the others have had their turn.
fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_DIR)/artifacts; \
	failed=""; \
	for h in $(FUZZ_HARNESSES); do \
	  corpus=$(FUZZ_DIR)/corpus/$$h; \
	  log=$(FUZZ_DIR)/fuzz_$$h.log; \
	  rm -rf $$corpus; mkdir -p $$corpus; \
	  if [ -d test/fuzz/corpus/$$h ]; then \
	    cp test/fuzz/corpus/$$h/* $$corpus/ 2>/dev/null; \
	  fi; \
	  if UBSAN_OPTIONS=$(FUZZ_UBSAN) $(FUZZ_DIR)/fuzz_$$h \
	      -max_total_time=$(FUZZ_SECONDS) \
	      -rss_limit_mb=$(FUZZ_RSS_MB) -print_final_stats=1 \
	      -artifact_prefix=$(FUZZ_DIR)/artifacts/$$h- $(FUZZ_ARGS) \
	      $$corpus >$$log 2>&1; then \
	    verdict="no crash"; \
	  else \
	    verdict="CRASH (see $$log)"; failed="$$failed $$h"; \
	  fi; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	  rate=$$(sed -n 's/^stat::average_exec_per_sec: *//p' $$log); \
	  printf 'fuzz_%s: %s executions, %s exec/s, %s\n' $$h \
	    "$${runs:-?}" "$${rate:-?}" "$$verdict"; \
	done; \
	if [ -n "$$failed" ]; then \
	  echo "fuzz: crashes in$$failed; inputs in $(FUZZ_DIR)/artifacts" >&2; \
	  exit 1; \
	fi

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
