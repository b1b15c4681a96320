# examples.mk: the example programs in tools/examples, included by the
# Makefile.
#
#   make check-examples    build each example and run it against the
#                          fake CLI (tools/examples/check-examples.sh)
#
# Each is built as a user would build it, with strict flags and nothing
# of the library's own, against the static library so that it runs in
# place.

EXAMPLE_C := $(wildcard tools/examples/*.c)
EXAMPLE_CXX := $(wildcard tools/examples/*.cpp)
EXAMPLE_BIN := $(patsubst tools/examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_C)) \
	$(patsubst tools/examples/%.cpp,$(BUILD)/examples/%,$(EXAMPLE_CXX))

$(BUILD)/examples/%: tools/examples/%.c $(STATIC) include/claude.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -pedantic -Wall -Wextra -Werror $(CPPFLAGS) $(CFLAGS) \
	  -Iinclude $(JANSSON_CFLAGS) -o $@ $< $(STATIC) -pthread \
	  $(JANSSON_LIBS) $(LDFLAGS)

$(BUILD)/examples/%: tools/examples/%.cpp $(STATIC) include/claude.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++11 -pedantic -Wall -Wextra -Werror $(CPPFLAGS) \
	  $(CXXFLAGS) -Iinclude $(JANSSON_CFLAGS) -o $@ $< $(STATIC) -pthread \
	  $(JANSSON_LIBS) $(LDFLAGS)

.PHONY: check-examples

check-examples: $(EXAMPLE_BIN) $(FAKE_CLI)
	sh tools/examples/check-examples.sh $(BUILD)/examples $(FAKE_CLI)
