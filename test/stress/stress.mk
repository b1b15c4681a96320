# stress.mk: many sessions opened and closed at once against the fake
# CLI (test/stress/stress.c), plain and under valgrind, helgrind and
# ThreadSanitizer.
#
#   make stress            STRESS_SESSIONS sessions (default 1000)
#   make stress-valgrind   memcheck, leaks included (default 1000)
#   make stress-helgrind   helgrind, a shorter run (default 200)
#   make stress-tsan       ThreadSanitizer (default 1000)
#
# Each tier runs STRESS_THREADS driver threads (default 8) holding
# STRESS_CONCURRENT sessions open at once (default 32).  The fragment
# stands alone: the variables the main Makefile defines are used when
# present.

# The fragment may be included anywhere without changing the default
# goal; the goal in force before it is restored at its end.
STRESS_SAVED_GOAL := $(.DEFAULT_GOAL)

STRESS_SESSIONS ?= 1000
STRESS_VALGRIND_SESSIONS ?= 1000
STRESS_HELGRIND_SESSIONS ?= 200
STRESS_TSAN_SESSIONS ?= 1000
STRESS_THREADS ?= 8
STRESS_CONCURRENT ?= 32

BUILD ?= build
LIBOUT ?= lib
STATIC ?= $(LIBOUT)/libclaude.a
FAKE_CLI ?= $(BUILD)/test/fake-cli
PKG_CONFIG ?= pkg-config
JANSSON_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS ?= $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || \
	echo -ljansson)

STRESS_BIN := $(BUILD)/test/stress/stress
STRESS_CMD = $(abspath $(STRESS_BIN)) -f $(abspath $(FAKE_CLI)) \
	-t $(STRESS_THREADS) -c $(STRESS_CONCURRENT)

# Under valgrind, the fake CLI children run natively.  A slow run is
# not a deadlock: the watchdog waits ten minutes before it says so.
STRESS_VG = STRESS_STALL_S=600 valgrind -q --error-exitcode=1
STRESS_MEMCHECK := --tool=memcheck --leak-check=full \
	--errors-for-leak-kinds=definite,indirect \
	--show-leak-kinds=definite,indirect
STRESS_HELGRIND := --tool=helgrind --suppressions=test/stress/helgrind.supp

# valgrind 3.19 does not know pidfd_open (syscall 434) and says so in
# five lines at each spawn; the library then polls for the child's
# exit instead.  Those lines are counted, not shown.
STRESS_VG_FILTER = awk '/unhandled amd64-linux syscall: 434$$/ { \
	  skip = 4; n++; next } \
	skip > 0 && /^--[0-9]+--/ { skip--; next } \
	{ skip = 0; print } \
	END { if (n) printf "(%d warnings that valgrind lacks pidfd_open " \
	  "left out)\n", n }'

# $(call stress_valgrind,TOOL OPTIONS,SESSIONS,LOG): the run, then
# valgrind's report, filtered; the status is valgrind's.
define stress_valgrind
	@echo "$(STRESS_VG) $(1) --log-file=$(3) $(STRESS_CMD) -n $(2)"
	@$(STRESS_VG) $(1) --log-file=$(3) $(STRESS_CMD) -n $(2); \
	rc=$$?; $(STRESS_VG_FILTER) $(3); exit $$rc
endef

.PHONY: stress stress-valgrind stress-helgrind stress-tsan

$(STRESS_BIN): test/stress/stress.c $(STATIC) include/claude.h
	@mkdir -p $(dir $@)
	$(CC) $(REAL_CFLAGS) $(JANSSON_CFLAGS) -o $@ $< \
	  $(STATIC) $(JANSSON_LIBS) $(REAL_LDFLAGS)

stress: deps
	$(MAKE) $(STRESS_BIN) $(FAKE_CLI)
	$(STRESS_CMD) -n $(STRESS_SESSIONS)

stress-valgrind: deps
	@sh tools/deps.sh valgrind
	$(MAKE) $(STRESS_BIN) $(FAKE_CLI)
	$(call stress_valgrind,$(STRESS_MEMCHECK),$(STRESS_VALGRIND_SESSIONS),$(BUILD)/stress-memcheck.log)

stress-helgrind: deps
	@sh tools/deps.sh valgrind
	$(MAKE) $(STRESS_BIN) $(FAKE_CLI)
	$(call stress_valgrind,$(STRESS_HELGRIND),$(STRESS_HELGRIND_SESSIONS),$(BUILD)/stress-helgrind.log)

# A report aborts the run, so the target fails.
stress-tsan: deps
	TSAN_OPTIONS='halt_on_error=1 abort_on_error=1 second_deadlock_stack=1' \
	$(MAKE) BUILD=build/tsan LIBOUT=build/tsan SANFLAGS=-fsanitize=thread \
	  CFLAGS='-O1 -g' STRESS_SESSIONS=$(STRESS_TSAN_SESSIONS) stress

.DEFAULT_GOAL := $(STRESS_SAVED_GOAL)
