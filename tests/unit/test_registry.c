/*  test_registry.c - the broker's sessions (broker/registry.c): lookup
    by token and by user, agent and observer sessions of one user, the
    online and silent sets, the list budget and the Stats counts.
*/
#include "registry.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static session_t *
s_session (const char *user, int64_t seen)
{
    zframe_t *routing = zframe_new (user, strlen (user));
    session_t *session = session_new (user, routing);
    session_touch (session, routing, seen);
    zframe_destroy (&routing);
    return session;
}

static void
test_agents_and_observers (void **state)
{
    (void) state;
    registry_t *registry = registry_new ();
    session_t *agent = s_session ("alice", 10);
    session_t *tap = s_session ("alice", 10);
    session_t *other = s_session ("alice", 10);
    registry_add (registry, agent, false);
    registry_add (registry, tap, true);
    registry_add (registry, other, true);
    assert_int_equal (registry_size (registry), 3);
    assert_ptr_equal (registry_lookup (registry, session_token (tap)), tap);
    assert_null (registry_lookup (registry, "no such token"));
    assert_null (registry_lookup (registry, NULL));
    assert_ptr_equal (registry_agent (registry, "alice"), agent);
    assert_null (registry_agent (registry, "bob"));
    assert_false (registry_is_observer (registry, agent));
    assert_true (registry_is_observer (registry, tap));
    assert_int_equal (registry_observers (registry, "alice"), 2);
    assert_int_equal (registry_observers (registry, "bob"), 0);
    //  An observer's end leaves the agent listed
    registry_remove (registry, tap);
    assert_ptr_equal (registry_agent (registry, "alice"), agent);
    assert_int_equal (registry_observers (registry, "alice"), 1);
    //  The agent's end unlists the user; its observers stay observers
    registry_remove (registry, agent);
    assert_null (registry_agent (registry, "alice"));
    assert_int_equal (registry_size (registry), 1);
    assert_true (registry_is_observer (registry, other));
    registry_destroy (&registry);
    assert_null (registry);
}

static void
test_sets_and_counts (void **state)
{
    (void) state;
    registry_t *registry = registry_new ();
    session_t *alice = s_session ("alice", 100);
    session_t *bob = s_session ("bob", 5);
    registry_add (registry, alice, false);
    registry_add (registry, bob, false);
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "a.txt";
    session_put_file (alice, &file);
    file.path = "b/c.txt";
    session_put_file (alice, &file);
    session_put_file (bob, &file);
    //  Only alice is online: her whole list arrived
    session_set_online (alice, 1);
    zlistx_t *online = registry_online (registry);
    assert_int_equal (zlistx_size (online), 1);
    assert_ptr_equal (zlistx_first (online), alice);
    zlistx_destroy (&online);
    uint64_t peers, files;
    registry_count_online (registry, &peers, &files);
    assert_int_equal (peers, 1);
    assert_int_equal (files, 2);
    //  Every list counts in the budget, online or not
    assert_int_equal (registry_list_bytes (registry),
                      session_list_bytes (alice) + session_list_bytes (bob));
    //  Silent: last seen before the limit
    zlistx_t *silent = registry_silent (registry, 50);
    assert_int_equal (zlistx_size (silent), 1);
    assert_ptr_equal (zlistx_first (silent), bob);
    zlistx_destroy (&silent);
    silent = registry_silent (registry, 5);
    assert_int_equal (zlistx_size (silent), 0);
    zlistx_destroy (&silent);
    size_t seen = 0;
    for (session_t *session = registry_first (registry); session;
         session = registry_next (registry))
        seen++;
    assert_int_equal (seen, 2);
    registry_destroy (&registry);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_agents_and_observers),
        cmocka_unit_test (test_sets_and_counts),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
