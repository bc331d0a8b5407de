/*  test_throttle.c - failed-login delays (broker/throttle.c) on a clock the
    test drives, then the whole broker: refusals come later and later, a
    burst of guesses sent without waiting is taken one at a time, a new
    connection does not reset a user name's delay, the right password still
    gets in, and a flood of held logins stays bounded.
*/
#define DEADLINE_MS 8000
#include "fixture.h"
#include "throttle.h"
#include "lobby.h"

//  --------------------------------------------------------------------------
//  The throttle alone

static void
test_doubling_and_cap (void **state)
{
    (void) state;
    throttle_t *throttle = throttle_new (250, 30000);
    int64_t now = 1000000;
    assert_int_equal (throttle_wait (throttle, "alice", "10.0.0.1", now), 0);
    int64_t expected = 250;
    for (int i = 0; i < 12; i++) {
        int64_t delay = throttle_failed (throttle, "alice", "10.0.0.1", now);
        assert_int_equal (delay, expected);
        assert_int_equal (throttle_wait (throttle, "alice", "10.0.0.1", now), delay);
        //  The wait runs out exactly when the delay does
        assert_int_equal (throttle_wait (throttle, "alice", "10.0.0.1", now + delay - 1), 1);
        now += delay;
        assert_int_equal (throttle_wait (throttle, "alice", "10.0.0.1", now), 0);
        expected = expected * 2 > 30000? 30000: expected * 2;
    }
    assert_int_equal (throttle_failures (throttle, "alice", NULL), 12);
    //  However many failures: never more than the cap, never locked out
    for (int i = 0; i < 1000; i++)
        assert_true (throttle_failed (throttle, "alice", "10.0.0.1", now) <= 30000);
    assert_true (throttle_wait (throttle, "alice", "10.0.0.1", now) <= 30000);
    throttle_destroy (&throttle);
    assert_null (throttle);
}

static void
test_user_and_address (void **state)
{
    (void) state;
    throttle_t *throttle = throttle_new (100, 1000);
    int64_t now = 5000;
    throttle_failed (throttle, "alice", "10.0.0.1", now);
    throttle_failed (throttle, "alice", "10.0.0.1", now);
    //  The user name waits wherever it comes from: a new connection or
    //  another address does not reset it
    assert_int_equal (throttle_wait (throttle, "alice", "10.0.0.2", now), 200);
    //  The address waits whatever name it tries
    assert_int_equal (throttle_wait (throttle, "bob", "10.0.0.1", now), 200);
    //  Others are not slowed
    assert_int_equal (throttle_wait (throttle, "bob", "10.0.0.2", now), 0);

    //  The right password clears the name, not the address (it decays)
    throttle_succeeded (throttle, "alice");
    assert_int_equal (throttle_failures (throttle, "alice", NULL), 0);
    assert_int_equal (throttle_wait (throttle, "alice", "10.0.0.2", now), 0);
    assert_int_equal (throttle_wait (throttle, "alice", "10.0.0.1", now), 200);
    assert_int_equal (throttle_failures (throttle, NULL, "10.0.0.1"), 2);
    throttle_destroy (&throttle);
}

static void
test_decay_and_purge (void **state)
{
    (void) state;
    throttle_t *throttle = throttle_new (100, 1000);
    int64_t now = 0;
    for (int i = 0; i < 6; i++)
        throttle_failed (throttle, "carol", "10.0.0.9", now);
    assert_int_equal (throttle_wait (throttle, "carol", "10.0.0.7", now), 1000);
    //  After a quiet period (4 x the cap) the record counts as clean: the
    //  next failure starts again from the base delay
    now += 4001;
    assert_int_equal (throttle_wait (throttle, "carol", "10.0.0.7", now), 0);
    assert_int_equal (throttle_failed (throttle, "carol", "10.0.0.7", now), 100);
    //  Purge forgets quiet records, keeps recent and busy ones
    throttle_begin (throttle, "dave", "10.0.0.8");
    assert_int_equal (throttle_purge (throttle, now), 4);
    now += 5000;
    assert_int_equal (throttle_purge (throttle, now), 2);
    throttle_end (throttle, "dave", "10.0.0.8");
    assert_int_equal (throttle_purge (throttle, now), 0);
    throttle_destroy (&throttle);
}

static void
test_parallel_caps (void **state)
{
    (void) state;
    throttle_t *throttle = throttle_new (0, 0);
    int64_t now = 0;
    //  One check per user name at a time
    throttle_begin (throttle, "alice", "10.0.0.1");
    assert_int_equal (throttle_wait (throttle, "alice", "10.0.0.2", now), THROTTLE_RECHECK_MS);
    assert_int_equal (throttle_wait (throttle, "bob", "10.0.0.1", now), 0);
    //  THROTTLE_PARALLEL per address
    throttle_begin (throttle, "bob", "10.0.0.1");
    assert_int_equal (throttle_wait (throttle, "carol", "10.0.0.1", now), THROTTLE_RECHECK_MS);
    assert_int_equal (throttle_wait (throttle, "carol", "10.0.0.2", now), 0);
    throttle_end (throttle, "bob", "10.0.0.1");
    assert_int_equal (throttle_wait (throttle, "carol", "10.0.0.1", now), 0);
    throttle_end (throttle, "alice", "10.0.0.1");
    assert_int_equal (throttle_wait (throttle, "alice", "10.0.0.2", now), 0);
    //  Unpaired ends do no harm
    throttle_end (throttle, "alice", "10.0.0.1");
    throttle_end (throttle, "nobody", "nowhere");
    assert_int_equal (throttle_wait (throttle, "alice", "10.0.0.1", now), 0);
    //  Defaults
    assert_int_equal (throttle_failed (throttle, "x", "y", now), THROTTLE_BASE_MS);
    throttle_destroy (&throttle);
}

//  --------------------------------------------------------------------------
//  The broker: a raw client on ipc

static int
s_setup (void **state)
{
    fixture_t *fx = fixture_new ("throttle");
    fixture_account (fx, "alice", "right");
    fixture_account (fx, "bob", "right");
    //  Delays of 40, 80, 160, 320, then 400 ms
    broker_config_t config = fixture_broker_config (fx);
    config.registration = 0;
    config.heartbeat_ms = 1000;
    config.liveness = 3;
    config.login_delay_ms = 40;
    config.login_delay_max_ms = 400;
    config.login_queue = 8;
    fixture_broker_start (fx, &config);
    *state = fx;
    return 0;
}

//  Sends an observer's login without waiting; returns its id. Observers,
//  so that a second login of the same name is no "already logged in"; the
//  client keeps no session, so each login goes out as a fresh one.
static uint64_t
s_send_login (client_t *client, const char *user, const char *password)
{
    Fshare__Login login = client_login_body (user, password, true);
    return client_send_login (client, &login);
}

//  One login, waiting for its answer: the time it took, and whether it
//  got in.
static int64_t
s_timed_login (client_t *client, const char *user, const char *password, bool *ok)
{
    int64_t start = zclock_mono ();
    uint64_t id = s_send_login (client, user, password);
    Fshare__Message *reply = client_recv (client);
    assert_int_equal (reply->id, id);
    *ok = reply->status == FSHARE__STATUS__STATUS_OK;
    if (!*ok)
        assert_string_equal (reply->error, "invalid user or password");
    fsh_msg_destroy (&reply);
    return zclock_mono () - start;
}

//  USER's failures were cleared: a wrong guess now is refused as the
//  name's first failure, as the broker logs. (The caller's address keeps
//  its own count, so the delay itself need not be the first one.)
static void
s_cleared (client_t *client, const char *user)
{
    FILE *log = fixture_log_begin ();
    bool ok;
    assert_true (s_timed_login (client, user, "wrong", &ok) >= 40);
    assert_false (ok);
    char *line = zsys_sprintf ("login of %s from ", user);
    assert_true (fixture_log_has (log, line));
    assert_true (fixture_log_has (log, "refused: invalid user or password (1 failures; "));
    zstr_free (&line);
    fixture_log_end (&log);
}

static void
test_broker_slows_guesses (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *guesser = client_new (fx, NULL);
    bool ok;
    //  Each refusal takes at least the delay it earned: 40, 80, 160, 320
    int64_t delay = 40;
    for (int i = 0; i < 4; i++) {
        int64_t took = s_timed_login (guesser, "alice", "wrong", &ok);
        assert_false (ok);
        assert_true (took >= delay);
        delay *= 2;
    }
    //  A new connection gains nothing: its wrong guess is refused after the
    //  name's next delay (capped at 400 ms), not the first one (40 ms)
    client_t *honest = client_new (fx, NULL);
    int64_t took = s_timed_login (honest, "alice", "wrong", &ok);
    assert_false (ok);
    assert_true (took >= 400);
    //  The refusal came when its delay was over: the right password gets in
    took = s_timed_login (honest, "alice", "right", &ok);
    assert_true (ok);
    //  A correct login cleared the name: its next wrong guess is its first
    //  failure again, answered after the first delay. (The broker's log
    //  says so; an upper bound on the time would not hold on a loaded
    //  machine.)
    s_cleared (honest, "alice");
    client_destroy (&honest);
    client_destroy (&guesser);
}

static void
test_broker_burst (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    client_t *guesser = client_new (fx, NULL);
    //  20 guesses at once, as an observer (no "already logged in" shortcut):
    //  one is checked, 8 (the fixture's login_queue) wait their turn one by
    //  one, the rest are told the broker is busy, at once. Every one gets
    //  an answer, and none says the password was right.
    int64_t start = zclock_mono ();
    for (uint64_t id = 1; id <= 20; id++)
        assert_int_equal (s_send_login (guesser, "bob", "wrong"), id);
    bool seen [21] = { false };
    int64_t last = 0;
    int busy = 0;
    for (int i = 0; i < 20; i++) {
        Fshare__Message *reply = client_recv (guesser);
        assert_true (reply->id >= 1 && reply->id <= 20);
        assert_false (seen [reply->id]);
        seen [reply->id] = true;
        assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
        if (reply->code == FSH_ERR_BUSY) {
            //  The overflow is answered before any check is done
            assert_int_equal (i, busy);
            busy++;
        }
        else
            assert_string_equal (reply->error, "invalid user or password");
        fsh_msg_destroy (&reply);
        last = zclock_mono () - start;
    }
    assert_int_equal (busy, 20 - 1 - 8);
    //  Checked one at a time, each after the previous one's delay:
    //  at least 40 + 80 + 160 + 320 + 400 x 5 ms for 1 + 8 checked ones
    assert_true (last >= 40 + 80 + 160 + 320 + 400 * 4);
    //  The last refusal came when its delay ran out: the right password
    //  gets in, and clears the name
    bool ok;
    s_timed_login (guesser, "bob", "right", &ok);
    assert_true (ok);
    s_cleared (guesser, "bob");
    client_destroy (&guesser);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_doubling_and_cap),
        cmocka_unit_test (test_user_and_address),
        cmocka_unit_test (test_decay_and_purge),
        cmocka_unit_test (test_parallel_caps),
        cmocka_unit_test_setup_teardown (test_broker_slows_guesses, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_broker_burst, s_setup, fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
