/*  test_strangers.c - events of another broker instance than our
    session's: our own pass, so does everything before a session and the
    first event of a stranger (a restarted broker is found that way); the
    same stranger again is another broker: said (status text), its events
    dropped, the pongs' resyncs allowed after 8 s, then 16 s, ... up to a
    minute; a
    new stranger starts afresh, and once it is our session's broker there
    is no problem.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "strangers.h"

static void
test_strangers (void **state)
{
    (void) state;
    strangers_t *strangers = strangers_new ("alice");
    //  No session yet, or our own broker's events: all pass, no problem
    assert_true (strangers_pass (strangers, "b2", NULL, "ipc://x", 0));
    assert_true (strangers_pass (strangers, "b2", "", "ipc://x", 0));
    assert_true (strangers_pass (strangers, "b1", "b1", "ipc://x", 0));
    assert_null (strangers_problem (strangers, "b1"));
    //  A stranger's first event passes (perhaps a restart)
    assert_true (strangers_pass (strangers, "b2", "b1", "ipc://x", 1000));
    assert_null (strangers_problem (strangers, "b1"));
    //  Its second: another broker, said, dropped; backing off
    assert_false (strangers_pass (strangers, "b2", "b1", "ipc://x", 3000));
    const char *problem = strangers_problem (strangers, "b1");
    assert_non_null (problem);
    assert_non_null (strstr (problem, "ipc://x"));
    assert_non_null (strstr (problem, "b2"));
    assert_false (strangers_pass (strangers, "b2", "b1", "ipc://x", 100000));
    //  The pongs' resyncs: after 8 s, then 16 s, ... up to a minute
    assert_false (strangers_resync_allowed (strangers, "b1", 10999));
    assert_true (strangers_resync_allowed (strangers, "b1", 11000));
    assert_false (strangers_resync_allowed (strangers, "b1", 26999));
    assert_true (strangers_resync_allowed (strangers, "b1", 27000));
    int64_t now = 27000;
    for (int i = 0; i < 10; i++) {
        now += STRANGERS_MAX_MS;
        assert_true (strangers_resync_allowed (strangers, "b1", now));
    }
    assert_false (strangers_resync_allowed (strangers, "b1", now + STRANGERS_MAX_MS - 1));
    assert_true (strangers_resync_allowed (strangers, "b2", now + 1));
    assert_int_equal (strangers_dropped (strangers), 2);
    //  Our broker is now that one (we logged in to it): no problem
    assert_null (strangers_problem (strangers, "b2"));
    //  A new stranger starts afresh; a hostile endpoint is not echoed
    assert_true (strangers_pass (strangers, "b3", "b1", "ipc://\x1b[2J", now));
    assert_null (strangers_problem (strangers, "b1"));
    assert_false (strangers_pass (strangers, "b3", "b1", "ipc://\x1b[2J", now + 1));
    problem = strangers_problem (strangers, "b1");
    assert_non_null (problem);
    assert_null (strchr (problem, '\x1b'));
    strangers_destroy (&strangers);
    assert_null (strangers);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_strangers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
