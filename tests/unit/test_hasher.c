/*  test_hasher.c - password jobs on worker threads, results on one socket. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "hasher.h"

#define DEADLINE_MS 10000

typedef struct {
    uint64_t ticket;
    bool ok;
    char *hash;
} result_t;

//  Waits (with a deadline) for the next result; fails the test on timeout.
static result_t
s_next_result (hasher_t *hasher)
{
    zpoller_t *poller = zpoller_new (hasher_socket (hasher), NULL);
    void *which = zpoller_wait (poller, DEADLINE_MS);
    zpoller_destroy (&poller);
    if (which != hasher_socket (hasher))
        fail_msg ("no result within %d ms", DEADLINE_MS);
    result_t result = { 0, false, NULL };
    assert_int_equal (hasher_result (hasher, &result.ticket, &result.ok, &result.hash), 0);
    return result;
}

static void
test_verify (void **state)
{
    (void) state;
    char *hash = passhash_new ("right", PASSHASH_COST_MIN);
    hasher_t *hasher = hasher_new (2, PASSHASH_COST_MIN);
    assert_non_null (hasher);
    hasher_verify (hasher, 1, hash, "right");
    hasher_verify (hasher, 2, hash, "wrong");
    hasher_verify (hasher, 3, NULL, "right");        //  unknown user
    hasher_verify (hasher, 4, "garbage", "right");
    hasher_verify (hasher, 5, hash, NULL);
    bool seen [6] = { false };
    for (int count = 0; count < 5; count++) {
        result_t result = s_next_result (hasher);
        assert_true (result.ticket >= 1 && result.ticket <= 5);
        assert_false (seen [result.ticket]);
        seen [result.ticket] = true;
        assert_int_equal (result.ok, result.ticket == 1);
        assert_null (result.hash);
    }
    hasher_destroy (&hasher);
    assert_null (hasher);
    zstr_free (&hash);
}

static void
test_hash_then_verify (void **state)
{
    (void) state;
    hasher_t *hasher = hasher_new (1, PASSHASH_COST_MIN);
    hasher_hash (hasher, UINT64_MAX, "new password");
    result_t result = s_next_result (hasher);
    assert_true (result.ticket == UINT64_MAX);
    assert_true (result.ok);
    assert_non_null (result.hash);
    assert_memory_equal (result.hash, "$argon2id$v=19$m=8,t=1,p=1$", 27);
    assert_true (passhash_valid (result.hash));
    assert_true (passhash_verify (result.hash, "new password"));

    //  The hash goes through the hasher too
    hasher_verify (hasher, 42, result.hash, "new password");
    result_t check = s_next_result (hasher);
    assert_true (check.ticket == 42);
    assert_true (check.ok);
    zstr_free (&result.hash);
    hasher_destroy (&hasher);
}

static void
test_hash_result_without_pointer (void **state)
{
    (void) state;
    hasher_t *hasher = hasher_new (1, PASSHASH_COST_MIN);
    hasher_hash (hasher, 9, "x");
    zpoller_t *poller = zpoller_new (hasher_socket (hasher), NULL);
    assert_ptr_equal (zpoller_wait (poller, DEADLINE_MS), hasher_socket (hasher));
    zpoller_destroy (&poller);
    uint64_t ticket = 0;
    bool ok = false;
    assert_int_equal (hasher_result (hasher, &ticket, &ok, NULL), 0);
    assert_true (ticket == 9);
    assert_true (ok);
    hasher_destroy (&hasher);
}

//  More jobs than workers: every one comes back once, with its own answer.
static void
test_many_jobs (void **state)
{
    (void) state;
    #define JOBS 60
    char *hash = passhash_new ("pw", PASSHASH_COST_MIN);
    hasher_t *hasher = hasher_new (3, PASSHASH_COST_MIN);
    for (uint64_t ticket = 0; ticket < JOBS; ticket++) {
        if (ticket % 3 == 0)
            hasher_hash (hasher, ticket, "pw");
        else
            hasher_verify (hasher, ticket, hash, ticket % 3 == 1? "pw": "nope");
    }
    bool seen [JOBS] = { false };
    for (int count = 0; count < JOBS; count++) {
        result_t result = s_next_result (hasher);
        assert_true (result.ticket < JOBS);
        assert_false (seen [result.ticket]);
        seen [result.ticket] = true;
        if (result.ticket % 3 == 0) {
            assert_true (result.ok);
            assert_true (passhash_verify (result.hash, "pw"));
        }
        else {
            assert_int_equal (result.ok, result.ticket % 3 == 1);
            assert_null (result.hash);
        }
        zstr_free (&result.hash);
    }
    //  Nothing more is waiting
    zpoller_t *poller = zpoller_new (hasher_socket (hasher), NULL);
    assert_null (zpoller_wait (poller, 50));
    zpoller_destroy (&poller);
    hasher_destroy (&hasher);
    zstr_free (&hash);
}

//  Destroying with jobs queued, running and unread must neither hang nor
//  leak (the sanitizer build checks the leaks: queued jobs hold copies of
//  the passwords).
static void
test_destroy_pending (void **state)
{
    (void) state;
    hasher_t *hasher = hasher_new (2, PASSHASH_COST_INTERACTIVE);
    for (uint64_t ticket = 0; ticket < 20; ticket++)
        hasher_hash (hasher, ticket, "pending");
    hasher_destroy (&hasher);
    assert_null (hasher);

    //  Results waiting unread at destroy time
    hasher = hasher_new (2, PASSHASH_COST_MIN);
    hasher_verify (hasher, 1, "garbage", "x");
    hasher_verify (hasher, 2, "garbage", "x");
    zpoller_t *poller = zpoller_new (hasher_socket (hasher), NULL);
    assert_ptr_equal (zpoller_wait (poller, DEADLINE_MS), hasher_socket (hasher));
    zpoller_destroy (&poller);
    hasher_destroy (&hasher);
}

static void
test_bad_arguments (void **state)
{
    (void) state;
    assert_null (hasher_new (0, PASSHASH_COST_MIN));
    assert_null (hasher_new (-1, PASSHASH_COST_MIN));
}

//  Lanes take turns: a job queued behind many of another lane is the next
//  but one to run, not the last; within a lane, first come first served.
static void
test_lanes_take_turns (void **state)
{
    (void) state;
    char *hash = passhash_new ("pw", PASSHASH_COST_MIN);
    hasher_t *hasher = hasher_new (1, PASSHASH_COST_MIN);
    for (uint64_t ticket = 1; ticket <= 20; ticket++)
        hasher_verify_in (hasher, 1, ticket, hash, "wrong");
    hasher_verify_in (hasher, 0, 100, hash, "pw");
    hasher_verify_in (hasher, 7, 21, hash, "wrong");      //  beyond: the last lane
    assert_int_equal (hasher_queued (hasher, 0), 1);
    assert_int_equal (hasher_queued (hasher, 1), 20);       //  one of 21 is running
    uint64_t order [22];
    for (int count = 0; count < 22; count++) {
        result_t result = s_next_result (hasher);
        order [count] = result.ticket;
        assert_int_equal (result.ok, result.ticket == 100);
    }
    //  Ticket 1 was running already; then lane 0's only job
    assert_true (order [0] == 1);
    assert_true (order [1] == 100);
    for (int count = 2; count < 22; count++)
        assert_true (order [count] == (uint64_t) count);
    assert_int_equal (hasher_queued (hasher, 1), 0);
    hasher_destroy (&hasher);
    zstr_free (&hash);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_verify),
        cmocka_unit_test (test_hash_then_verify),
        cmocka_unit_test (test_hash_result_without_pointer),
        cmocka_unit_test (test_many_jobs),
        cmocka_unit_test (test_lanes_take_turns),
        cmocka_unit_test (test_destroy_pending),
        cmocka_unit_test (test_bad_arguments),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
