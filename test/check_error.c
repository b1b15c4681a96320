/*
 * check_error.c: error codes, their texts and the version.
 */
#include <string.h>

#include "tests.h"

START_TEST(every_code_has_its_own_text)
{
    static const int codes[] = {
#define CODE(name, value, text) CLAUDE_##name,
        CLAUDE_ERRNO_MAP(CODE)
#undef CODE
    };
    size_t n = sizeof(codes) / sizeof(codes[0]);
    size_t i;
    size_t j;

    for (i = 0; i < n; i++) {
        ck_assert_int_lt(codes[i], 0);
        ck_assert_str_ne(claude_strerror(codes[i]), "unknown error");
        for (j = 0; j < i; j++) {
            ck_assert_int_ne(codes[i], codes[j]);
            ck_assert_str_ne(claude_strerror(codes[i]),
                             claude_strerror(codes[j]));
        }
    }
}
END_TEST

START_TEST(unknown_codes_are_named_unknown)
{
    ck_assert_str_eq(claude_strerror(0), "success");
    ck_assert_str_eq(claude_strerror(-9999), "unknown error");
    ck_assert_str_eq(claude_strerror(42), "unknown error");
}
END_TEST

START_TEST(version_matches_the_header)
{
    ck_assert_str_eq(claude_version(), CLAUDE_VERSION);
    ck_assert_int_eq(CLAUDE_VERSION_NUMBER, (CLAUDE_VERSION_MAJOR << 16) |
                                                (CLAUDE_VERSION_MINOR << 8) |
                                                CLAUDE_VERSION_PATCH);
}
END_TEST

void
cl_error_tests(void)
{
    cl_test_add("error", "error: every code has its own text",
                every_code_has_its_own_text, 5);
    cl_test_add("error", "error: unknown codes are named unknown",
                unknown_codes_are_named_unknown, 5);
    cl_test_add("error", "error: version string matches the header",
                version_matches_the_header, 5);
}
