/*  test_config.c - broker/config: the defaults of broker.h filled into
    every option left 0 (or NULL), values out of range taken back to the
    default or the protocol's maximum, and every value given kept.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "broker.h"
#include "relay.h"
#include "catalog.h"

static void
test_defaults (void **state)
{
    (void) state;
    broker_config_t config = { 0 };
    broker_config_defaults (&config);
    assert_string_equal (config.listen, FSH_DEFAULT_LISTEN);
    assert_string_equal (config.publish, FSH_DEFAULT_PUBLISH);
    assert_int_equal (config.heartbeat_ms, FSH_DEFAULT_HEARTBEAT_MS);
    assert_int_equal (config.liveness, FSH_DEFAULT_LIVENESS);
    assert_int_equal (config.stats_ms, 2000);
    assert_int_equal (config.max_message, FSH_DEFAULT_MAX_MESSAGE);
    assert_int_equal (config.max_files, 1000000);
    assert_int_equal (config.max_path, FSH_PATH_MAX);
    assert_int_equal (config.max_depth, FSH_DEPTH_MAX);
    assert_int_equal (config.max_observers, 8);
    assert_int_equal (config.max_transfers, 32);
    assert_int_equal (config.max_transfers, RELAY_MAX_PER_REQUESTER);
    assert_int_equal (config.max_serving, 64);
    assert_int_equal (config.max_serving, RELAY_MAX_PER_OWNER);
    assert_true (config.max_list_bytes == CATALOG_LIST_BYTES_DEFAULT);
    assert_true (config.max_total_bytes == CATALOG_TOTAL_BYTES_DEFAULT);
    assert_int_equal (config.stall_timeout_ms, 30000);
    //  What has no default here stays as it was: the actor decides
    assert_null (config.state_dir);
    assert_null (config.accounts);
    assert_null (config.events);
    assert_int_equal (config.registration, 0);
    assert_int_equal (config.curve, 0);
    assert_int_equal (config.login_delay_ms, 0);
    assert_int_equal (config.login_queue, 0);
    assert_false (config.verbose);
}

static void
test_given_values_kept (void **state)
{
    (void) state;
    broker_config_t config = {
        .listen = "ipc://a", .publish = "ipc://b", .events = "tcp://e:1", .state_dir = "/s",
        .registration = -1, .heartbeat_ms = 1, .liveness = 1, .stats_ms = 1,
        .max_message = 65536, .max_files = 1, .max_path = 1, .max_depth = 1,
        .max_observers = 1, .max_transfers = 1, .max_serving = 1, .max_list_bytes = 1,
        .max_total_bytes = 1, .stall_timeout_ms = 1, .curve = -1, .verbose = true
    };
    const char *listen = config.listen;
    broker_config_defaults (&config);
    assert_ptr_equal (config.listen, listen);
    assert_string_equal (config.publish, "ipc://b");
    assert_string_equal (config.events, "tcp://e:1");
    assert_string_equal (config.state_dir, "/s");
    assert_int_equal (config.registration, -1);
    assert_int_equal (config.curve, -1);
    assert_int_equal (config.heartbeat_ms, 1);
    assert_int_equal (config.liveness, 1);
    assert_int_equal (config.stats_ms, 1);
    assert_int_equal (config.max_message, 65536);
    assert_int_equal (config.max_files, 1);
    assert_int_equal (config.max_path, 1);
    assert_int_equal (config.max_depth, 1);
    assert_int_equal (config.max_observers, 1);
    assert_int_equal (config.max_transfers, 1);
    assert_int_equal (config.max_serving, 1);
    assert_true (config.max_list_bytes == 1);
    assert_true (config.max_total_bytes == 1);
    assert_int_equal (config.stall_timeout_ms, 1);
    assert_true (config.verbose);
}

static void
test_out_of_range (void **state)
{
    (void) state;
    //  Negative: the default, as 0 is
    broker_config_t config = {
        .heartbeat_ms = -1, .liveness = INT_MIN, .stats_ms = -5, .max_message = -1,
        .max_files = -1, .max_path = -1, .max_depth = INT_MIN, .max_transfers = -1,
        .max_serving = -1, .stall_timeout_ms = -1
    };
    broker_config_defaults (&config);
    assert_int_equal (config.heartbeat_ms, FSH_DEFAULT_HEARTBEAT_MS);
    assert_int_equal (config.liveness, FSH_DEFAULT_LIVENESS);
    assert_int_equal (config.stats_ms, 2000);
    assert_int_equal (config.max_message, FSH_DEFAULT_MAX_MESSAGE);
    assert_int_equal (config.max_files, 1000000);
    assert_int_equal (config.max_path, FSH_PATH_MAX);
    assert_int_equal (config.max_depth, FSH_DEPTH_MAX);
    assert_int_equal (config.max_transfers, RELAY_MAX_PER_REQUESTER);
    assert_int_equal (config.max_serving, RELAY_MAX_PER_OWNER);
    assert_int_equal (config.stall_timeout_ms, RELAY_STALL_TIMEOUT_MS);
    //  Path limits: a broker may tighten the protocol's, never loosen them
    broker_config_t limits = { .max_path = FSH_PATH_MAX + 1, .max_depth = FSH_DEPTH_MAX + 1 };
    broker_config_defaults (&limits);
    assert_int_equal (limits.max_path, FSH_PATH_MAX);
    assert_int_equal (limits.max_depth, FSH_DEPTH_MAX);
    limits.max_path = INT_MAX;
    limits.max_depth = INT_MAX;
    broker_config_defaults (&limits);
    assert_int_equal (limits.max_path, FSH_PATH_MAX);
    assert_int_equal (limits.max_depth, FSH_DEPTH_MAX);
    limits.max_path = FSH_PATH_MAX - 1;
    limits.max_depth = FSH_DEPTH_MAX - 1;
    broker_config_defaults (&limits);
    assert_int_equal (limits.max_path, FSH_PATH_MAX - 1);
    assert_int_equal (limits.max_depth, FSH_DEPTH_MAX - 1);
}

static void
test_observers (void **state)
{
    (void) state;
    //  0: the default; -1 (--max-observers 0 on the command line): none
    int given [] = { 0, -1, -7, INT_MIN, 1, 1024 };
    int expected [] = { 8, 0, 0, 0, 1, 1024 };
    for (size_t i = 0; i < sizeof given / sizeof given [0]; i++) {
        broker_config_t config = { .max_observers = given [i] };
        broker_config_defaults (&config);
        assert_int_equal (config.max_observers, expected [i]);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_defaults),
        cmocka_unit_test (test_given_values_kept),
        cmocka_unit_test (test_out_of_range),
        cmocka_unit_test (test_observers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
