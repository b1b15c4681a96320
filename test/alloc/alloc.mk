# alloc.mk: the allocation-failure test build.
#
#   make check-alloc         every fault point of a session, one at a time
#   make check-alloc-asan    the same under AddressSanitizer and UBSan
#
# test/alloc/alloc_fail.c is linked against libclaude.a with the
# library's allocating calls wrapped (ALLOC_WRAP), and runs one scripted
# session against the fake CLI once per fault point, failing only that
# one.  ALLOC_JOBS (default 2) runs go at once; ALLOC_ONLY=N runs one.
# The fragment is included by the Makefile and uses its variables.

ALLOC_SAVED_GOAL := $(.DEFAULT_GOAL)

ALLOC_DIR = $(BUILD)/alloc
ALLOC_BIN = $(ALLOC_DIR)/alloc-fail

# Every function through which the library allocates; the check below
# fails the build when the library starts calling another one.
ALLOC_WRAPPED := malloc calloc realloc free strdup strndup newlocale \
	freelocale pthread_create
ALLOC_UNWRAPPED := asprintf vasprintf open_memstream open_wmemstream \
	getline getdelim realpath canonicalize_file_name get_current_dir_name \
	reallocarray aligned_alloc posix_memalign memalign valloc pvalloc \
	wcsdup scandir tempnam duplocale __strdup __strndup
ALLOC_COMMA := ,
ALLOC_WRAP := $(patsubst %,-Wl$(ALLOC_COMMA)--wrap=%,$(ALLOC_WRAPPED))

.PHONY: check-alloc check-alloc-asan check-alloc-wrapped

$(ALLOC_DIR)/alloc_fail.o: test/alloc/alloc_fail.c include/claude.h
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

# -rdynamic lets backtrace_symbols name the functions of a fault.
$(ALLOC_BIN): $(ALLOC_DIR)/alloc_fail.o $(STATIC)
	$(CC) -rdynamic -o $@ $< $(STATIC) $(JANSSON_LIBS) $(REAL_LDFLAGS) \
	  $(ALLOC_WRAP)

check-alloc-wrapped: $(LIB_OBJ)
	@found=$$(nm -u $(LIB_OBJ) | awk '{ print $$2 }' | sort -u | \
	  grep -xF "$$(printf '%s\n' $(ALLOC_UNWRAPPED))"); \
	if [ -n "$$found" ]; then \
	  echo "check-alloc: the library calls allocators that" \
	    "test/alloc/alloc_fail.c does not wrap: $$found" >&2; \
	  exit 1; \
	fi

check-alloc: deps
	$(MAKE) $(ALLOC_BIN) $(FAKE_CLI) check-alloc-wrapped
	FAKE_CLI=$(abspath $(FAKE_CLI)) $(ALLOC_BIN)

check-alloc-asan: deps
	ASAN_OPTIONS='abort_on_error=1 detect_leaks=0' \
	UBSAN_OPTIONS='halt_on_error=1 print_stacktrace=1' \
	$(MAKE) BUILD=build/asan LIBOUT=build/asan \
	  SANFLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
	  CFLAGS='-O1 -g' check-alloc

.DEFAULT_GOAL := $(ALLOC_SAVED_GOAL)
