/*
 * suites.c: the end-to-end suite, run by make check-e2e.
 */
#include "tests.h"

void
cl_register_suites(void)
{
    cl_e2e_tests();
}
