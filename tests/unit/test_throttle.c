/*  test_throttle.c - failed-login delays (broker/throttle.c) on a clock the
    test drives, then the whole broker: refusals come later and later, a
    burst of guesses sent without waiting is taken one at a time, a new
    connection does not reset a user name's delay, the right password still
    gets in, and a flood of held logins stays bounded. One name's failures,
    from any number of connections of one address, do not slow a clean
    login of another name from that address.
*/
#define DEADLINE_MS 8000
#include "fixture.h"
#include "throttle.h"
#include "lobby.h"

//  --------------------------------------------------------------------------
//  The throttle alone

//  A login of user from address on connection, and its lane now
static throttle_login_t
s_who (const char *user, const char *address, const char *connection)
{
    throttle_login_t who = { user, address, connection };
    return who;
}

//  The wait of a login in the lane the throttle gives it now
static int64_t
s_wait (throttle_t *throttle, const char *user, const char *address, const char *connection,
        int64_t now)
{
    throttle_login_t who = s_who (user, address, connection);
    return throttle_wait (throttle, &who, throttle_lane (throttle, &who, now), now);
}

//  A failed check of a login, in the lane it had
static int64_t
s_fail (throttle_t *throttle, const char *user, const char *address, const char *connection,
        int64_t now)
{
    throttle_login_t who = s_who (user, address, connection);
    throttle_lane_t lane = throttle_lane (throttle, &who, now);
    throttle_begin (throttle, &who, lane);
    throttle_end (throttle, &who, lane);
    return throttle_failed (throttle, &who, lane, now);
}

static void
test_doubling_and_cap (void **state)
{
    (void) state;
    throttle_t *throttle = throttle_new (250, 30000);
    int64_t now = 1000000;
    assert_int_equal (s_wait (throttle, "alice", "10.0.0.1", "c1", now), 0);
    int64_t expected = 250;
    for (int i = 0; i < 12; i++) {
        int64_t delay = s_fail (throttle, "alice", "10.0.0.1", "c1", now);
        assert_int_equal (delay, expected);
        assert_int_equal (s_wait (throttle, "alice", "10.0.0.1", "c1", now), delay);
        //  The wait runs out exactly when the delay does
        assert_int_equal (s_wait (throttle, "alice", "10.0.0.1", "c1", now + delay - 1), 1);
        now += delay;
        assert_int_equal (s_wait (throttle, "alice", "10.0.0.1", "c1", now), 0);
        expected = expected * 2 > 30000? 30000: expected * 2;
    }
    assert_int_equal (throttle_failures (throttle, 'u', "alice"), 12);
    assert_int_equal (throttle_failures (throttle, 'c', "c1"), 12);
    //  However many failures: never more than the cap, never locked out
    for (int i = 0; i < 1000; i++)
        assert_true (s_fail (throttle, "alice", "10.0.0.1", "c1", now) <= 30000);
    assert_true (s_wait (throttle, "alice", "10.0.0.1", "c1", now) <= 30000);
    throttle_destroy (&throttle);
    assert_null (throttle);
}

static void
test_user_and_connection (void **state)
{
    (void) state;
    throttle_t *throttle = throttle_new (100, 1000);
    int64_t now = 5000;
    s_fail (throttle, "alice", "10.0.0.1", "c1", now);
    s_fail (throttle, "alice", "10.0.0.1", "c1", now);
    //  The user name waits wherever it comes from: a new connection or
    //  another address does not reset it
    assert_int_equal (s_wait (throttle, "alice", "10.0.0.2", "c2", now), 200);
    assert_int_equal (s_wait (throttle, "alice", "10.0.0.1", "c3", now), 200);
    //  The connection waits whatever name it tries, and so does the
    //  address for a suspect login
    assert_int_equal (s_wait (throttle, "bob", "10.0.0.1", "c1", now), 200);
    assert_int_equal (s_wait (throttle, "bob", "10.0.0.2", "c1", now), 200);
    //  A clean login is not slowed: another name on another connection,
    //  from anywhere, the same address too. (alice's first failure was
    //  clean: 10.0.0.1's clean lane waits 100 ms, now over.)
    assert_int_equal (s_wait (throttle, "bob", "10.0.0.2", "c4", now), 0);
    assert_int_equal (s_wait (throttle, "bob", "10.0.0.1", "c4", now + 100), 0);
    //  The right password clears the name and the connection, not the
    //  address (it decays)
    throttle_login_t who = s_who ("alice", "10.0.0.1", "c1");
    throttle_succeeded (throttle, &who);
    assert_int_equal (throttle_failures (throttle, 'u', "alice"), 0);
    assert_int_equal (throttle_failures (throttle, 'c', "c1"), 0);
    assert_int_equal (s_wait (throttle, "alice", "10.0.0.2", "c1", now), 0);
    assert_int_equal (throttle_failures (throttle, 'f', "10.0.0.1"), 1);
    assert_int_equal (throttle_failures (throttle, 'a', "10.0.0.1"), 1);
    throttle_destroy (&throttle);
}

//  The bug: mallory's failures of her own name from many connections on
//  one address (127.0.0.1 is every local user's) kept alice, with another
//  name on a connection of her own, waiting on the address for good.
static void
test_flood_of_one_name (void **state)
{
    (void) state;
    throttle_t *throttle = throttle_new (250, 30000);
    int64_t now = 0;
    for (int i = 0; i < 500; i++) {
        char connection [16];
        snprintf (connection, sizeof connection, "m%d", i % 70);
        s_fail (throttle, "mallory", "127.0.0.1", connection, now);
        now += 10;
        //  alice is clean, and her address's clean lane saw one failure
        //  only (mallory's first, long over)
        throttle_login_t alice = s_who ("alice", "127.0.0.1", "a1");
        assert_int_equal (throttle_lane (throttle, &alice, now), THROTTLE_CLEAN);
        if (now > 250)
            assert_int_equal (throttle_wait (throttle, &alice, THROTTLE_CLEAN, now), 0);
    }
    assert_int_equal (throttle_failures (throttle, 'f', "127.0.0.1"), 1);
    assert_int_equal (throttle_failures (throttle, 'a', "127.0.0.1"), 499);
    //  mallory stays slowed, on any connection, new ones too
    assert_int_equal (s_wait (throttle, "mallory", "127.0.0.1", "m-new", now), 30000 - 10);
    //  A fresh connection guessing another name after failing is suspect:
    //  the address's suspect lane slows it
    s_fail (throttle, "x1", "127.0.0.1", "spray", now);
    assert_true (s_wait (throttle, "x2", "127.0.0.1", "spray", now) >= 30000 - 10);
    throttle_destroy (&throttle);
}

//  Guessing ever new names on ever new connections (spraying) is clean
//  every time, and slowed by the address's clean lane
static void
test_spraying (void **state)
{
    (void) state;
    throttle_t *throttle = throttle_new (100, 1000);
    int64_t now = 0;
    int64_t expected = 100;
    for (int i = 0; i < 6; i++) {
        char name [16], connection [16];
        snprintf (name, sizeof name, "n%d", i);
        snprintf (connection, sizeof connection, "c%d", i);
        assert_int_equal (s_fail (throttle, name, "10.0.0.5", connection, now), expected);
        assert_int_equal (s_wait (throttle, "fresh", "10.0.0.5", "new", now), expected);
        //  Not from elsewhere
        assert_int_equal (s_wait (throttle, "fresh", "10.0.0.6", "new", now), 0);
        now += expected;
        expected = expected * 2 > 1000? 1000: expected * 2;
    }
    assert_int_equal (throttle_failures (throttle, 'f', "10.0.0.5"), 6);
    assert_int_equal (throttle_failures (throttle, 'a', "10.0.0.5"), 0);
    throttle_destroy (&throttle);
}

static void
test_decay_and_purge (void **state)
{
    (void) state;
    throttle_t *throttle = throttle_new (100, 1000);
    int64_t now = 0;
    for (int i = 0; i < 6; i++)
        s_fail (throttle, "carol", "10.0.0.9", "c9", now);
    assert_int_equal (s_wait (throttle, "carol", "10.0.0.7", "c7", now), 1000);
    //  After a quiet period (4 x the cap) the record counts as clean: the
    //  next failure starts again from the base delay
    now += 4001;
    assert_int_equal (s_wait (throttle, "carol", "10.0.0.7", "c7", now), 0);
    assert_int_equal (s_fail (throttle, "carol", "10.0.0.7", "c7", now), 100);
    //  Purge forgets quiet records, keeps recent and busy ones: carol,
    //  c9, 10.0.0.9 (clean lane, then suspect) are quiet; carol, c7 and
    //  10.0.0.7's clean lane recent; dave's three busy
    throttle_login_t dave = s_who ("dave", "10.0.0.8", "c8");
    throttle_begin (throttle, &dave, THROTTLE_CLEAN);
    assert_int_equal (throttle_purge (throttle, now), 6);
    now += 5000;
    assert_int_equal (throttle_purge (throttle, now), 3);
    //  A check that ends with nothing on record leaves no record
    throttle_end (throttle, &dave, THROTTLE_CLEAN);
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
    throttle_login_t alice = s_who ("alice", "10.0.0.1", "c1");
    throttle_begin (throttle, &alice, THROTTLE_CLEAN);
    assert_int_equal (s_wait (throttle, "alice", "10.0.0.2", "c2", now), THROTTLE_RECHECK_MS);
    assert_int_equal (s_wait (throttle, "bob", "10.0.0.1", "c2", now), 0);
    //  ... and per connection
    assert_int_equal (s_wait (throttle, "bob", "10.0.0.2", "c1", now), THROTTLE_RECHECK_MS);
    //  THROTTLE_PARALLEL per address and lane
    throttle_login_t bob = s_who ("bob", "10.0.0.1", "c3");
    throttle_begin (throttle, &bob, THROTTLE_CLEAN);
    assert_int_equal (s_wait (throttle, "carol", "10.0.0.1", "c4", now), THROTTLE_RECHECK_MS);
    assert_int_equal (s_wait (throttle, "carol", "10.0.0.2", "c4", now), 0);
    throttle_login_t carol = s_who ("carol", "10.0.0.1", "c4");
    assert_int_equal (throttle_wait (throttle, &carol, THROTTLE_SUSPECT, now), 0);
    throttle_end (throttle, &bob, THROTTLE_CLEAN);
    assert_int_equal (s_wait (throttle, "carol", "10.0.0.1", "c4", now), 0);
    throttle_end (throttle, &alice, THROTTLE_CLEAN);
    assert_int_equal (s_wait (throttle, "alice", "10.0.0.2", "c2", now), 0);
    //  Unpaired ends do no harm
    throttle_end (throttle, &alice, THROTTLE_CLEAN);
    throttle_login_t nobody = s_who ("nobody", "nowhere", NULL);
    throttle_end (throttle, &nobody, THROTTLE_SUSPECT);
    assert_int_equal (s_wait (throttle, "alice", "10.0.0.1", "c1", now), 0);
    //  Defaults
    assert_int_equal (s_fail (throttle, "x", "y", "z", now), THROTTLE_BASE_MS);
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
        cmocka_unit_test (test_user_and_connection),
        cmocka_unit_test (test_flood_of_one_name),
        cmocka_unit_test (test_spraying),
        cmocka_unit_test (test_decay_and_purge),
        cmocka_unit_test (test_parallel_caps),
        cmocka_unit_test_setup_teardown (test_broker_slows_guesses, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_broker_burst, s_setup, fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
