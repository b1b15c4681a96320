/*
 * suites.c: the unit test suites, in the order they run.
 */
#include "tests.h"

void
cl_register_suites(void)
{
    cl_error_tests();
    cl_framer_tests();
    cl_process_tests();
    cl_transport_tests();
    cl_scan_tests();
    cl_json_tests();
    cl_message_tests();
    cl_ledger_tests();
    cl_mcp_tests();
    cl_options_tests();
    cl_discover_tests();
    cl_client_tests();
    cl_fault_tests();
    cl_query_tests();
    cl_mcp_session_tests();
    cl_real_cli_tests();
}
