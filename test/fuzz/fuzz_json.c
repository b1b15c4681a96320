/*
 * fuzz_json.c: libFuzzer harness for the parser, against jansson's.
 *
 * Each input is parsed by cl_json_load() and by json_loadb() with every
 * flag the library uses.  Both must refuse it, or both take it into
 * trees that are equal and print the same; the one difference allowed
 * is jansson taking a NUL byte after a number or a literal, which the
 * parser never does.  Then the input is parsed once more with the
 * k-th allocation failing, k taken from its first byte: the parse must
 * give the same tree, or fail with *nomem set when the allocation
 * failed, and leave nothing allocated.
 *
 * Any disagreement aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json.h"
#include "../counting-alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t flag_sets[] = {
    0,
    JSON_REJECT_DUPLICATES,
    JSON_ALLOW_NUL,
    JSON_DECODE_ANY,
    JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
};

static void
disagree(const char *what, const char *text, size_t n, size_t flags)
{
    fprintf(stderr, "fuzz_json: flags %zx: %s: %.*s\n", flags, what,
            (int)(n > 300 ? 300 : n), text);
    abort();
}

/* Do both trees hold the same values, typed and ordered the same? */
static bool
same_tree(const json_t *a, const json_t *b)
{
    char *ta;
    char *tb;
    bool same;

    if (!json_equal(a, b)) {
        return false;
    }
    ta = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
    tb = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
    if (ta == NULL || tb == NULL) {
        abort();
    }
    same = strcmp(ta, tb) == 0;
    free(ta);
    free(tb);
    return same;
}

/* The parse with one allocation failing agrees with the clean one. */
static void
check_failing(const char *text, size_t n, size_t flags, const json_t *want,
              long k)
{
    json_t *j;
    bool nomem;

    json_set_alloc_funcs(counting_malloc, counting_free);
    live_blocks = 0;
    allocations = 0;
    fail_at = k;
    j = cl_json_load(text, n, flags, NULL, &nomem);
    /* json_equal allocates nothing; the order was checked before. */
    if (j != NULL && (nomem || allocations >= k || !json_equal(j, want))) {
        disagree("with an allocation failing, a wrong tree", text, n, flags);
    }
    if (j == NULL && !(allocations >= k ? nomem : want == NULL && !nomem)) {
        disagree("with an allocation failing, a wrong answer", text, n, flags);
    }
    json_decref(j);
    if (live_blocks != 0) {
        disagree("with an allocation failing, a leak", text, n, flags);
    }
    json_set_alloc_funcs(malloc, free);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    json_error_t ours_err;
    json_error_t theirs_err;
    json_t *ours;
    json_t *theirs;
    bool nomem;
    size_t i;

    for (i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
        ours = cl_json_load(text, size, flag_sets[i], NULL, &nomem);
        theirs = json_loadb(text, size, flag_sets[i], &theirs_err);
        if (nomem) {
            disagree("out of memory with no failure", text, size, flag_sets[i]);
        }
        if (ours == NULL && theirs != NULL &&
            memchr(text, '\0', size) != NULL) {
            json_decref(theirs);
            continue;
        }
        if ((ours == NULL) != (theirs == NULL)) {
            disagree(ours ? "the parser takes what jansson refuses"
                          : "the parser refuses what jansson takes",
                     text, size, flag_sets[i]);
        }
        if (ours != NULL && !same_tree(ours, theirs)) {
            disagree("the trees differ", text, size, flag_sets[i]);
        }
        if (ours == NULL) {
            /* The error is jansson's own, worded the same. */
            (void)cl_json_load(text, size, flag_sets[i], &ours_err, NULL);
            if (json_error_code(&ours_err) != json_error_code(&theirs_err) ||
                strcmp(ours_err.text, theirs_err.text) != 0) {
                disagree("the errors differ", text, size, flag_sets[i]);
            }
        }
        if (size > 0) {
            check_failing(text, size, flag_sets[i], ours, 1 + data[0] % 32);
        }
        json_decref(ours);
        json_decref(theirs);
    }
    return 0;
}
