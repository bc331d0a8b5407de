/*  test_session.c - one logged-in user as the broker sees it
    (broker/session.c): its token, the routing id it follows, its origin
    (instance id and CURVE key), liveness, and its file table with the
    list budget it costs.
*/
#include "session.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static void
test_identity (void **state)
{
    (void) state;
    zframe_t *first = zframe_new ("r1", 2);
    zframe_t *second = zframe_new ("r2", 2);
    session_t *alice = session_new ("alice", first);
    session_t *other = session_new ("alice", first);
    assert_string_equal (session_user (alice), "alice");
    //  128 random bits in hex, different for every session
    assert_int_equal (strlen (session_token (alice)), 32);
    assert_string_not_equal (session_token (alice), session_token (other));
    assert_true (zframe_eq (session_routing_id (alice), first));
    //  The latest routing id wins, and a change says the DEALER reconnected
    assert_false (session_touch (alice, first, 10));
    assert_int_equal (session_last_seen (alice), 10);
    assert_true (session_touch (alice, second, 20));
    assert_true (zframe_eq (session_routing_id (alice), second));
    assert_false (session_touch (alice, second, 30));
    assert_int_equal (session_last_seen (alice), 30);
    session_set_fd (alice, 7);
    assert_int_equal (session_fd (alice), 7);
    session_destroy (&other);
    session_destroy (&alice);
    assert_null (alice);
    zframe_destroy (&first);
    zframe_destroy (&second);
}

static void
test_origin (void **state)
{
    (void) state;
    zframe_t *routing = zframe_new ("r", 1);
    session_t *session = session_new ("bob", routing);
    const byte instance [16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    byte other [16];
    memcpy (other, instance, sizeof other);
    other [15] = 99;
    //  An empty instance is never "the same agent"
    assert_false (session_same_instance (session, NULL, 0));
    session_set_origin (session, instance, sizeof instance, "KEY");
    assert_true (session_same_instance (session, instance, sizeof instance));
    assert_false (session_same_instance (session, other, sizeof other));
    assert_false (session_same_instance (session, instance, 8));
    assert_false (session_same_instance (session, NULL, 0));
    assert_string_equal (session_key (session), "KEY");
    session_destroy (&session);
    zframe_destroy (&routing);
}

static void
test_files (void **state)
{
    (void) state;
    zframe_t *routing = zframe_new ("r", 1);
    session_t *session = session_new ("carol", routing);
    assert_false (session_online (session));
    session_set_online (session, 1234);
    assert_true (session_online (session));
    assert_int_equal (session_since (session), 1234);
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "docs/a.txt";
    file.size = 5;
    file.mtime = 100;
    assert_int_equal (session_list_bytes (session), 0);
    assert_int_equal (session_put_file (session, &file), FSHARE__CHANGE_KIND__CHANGE_ADDED);
    assert_int_equal (session_put_file (session, &file), FSHARE__CHANGE_KIND__CHANGE_NONE);
    file.size = 6;
    assert_int_equal (session_put_file (session, &file), FSHARE__CHANGE_KIND__CHANGE_CHANGED);
    assert_int_equal (session_file_count (session), 1);
    assert_int_equal (session_file (session, "docs/a.txt")->size, 6);
    assert_int_equal (session_list_bytes (session), session_file_bytes ("docs/a.txt"));
    assert_true (session_file_bytes ("docs/a.txt") >= strlen ("docs/a.txt"));
    assert_ptr_equal (fileset_lookup (session_files (session), "docs/a.txt"),
                      session_file (session, "docs/a.txt"));
    assert_true (session_remove_file (session, "docs/a.txt"));
    assert_false (session_remove_file (session, "docs/a.txt"));
    assert_null (session_file (session, "docs/a.txt"));
    assert_int_equal (session_list_bytes (session), 0);
    session_destroy (&session);
    zframe_destroy (&routing);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_identity),
        cmocka_unit_test (test_origin),
        cmocka_unit_test (test_files),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
