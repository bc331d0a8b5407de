/*  test_lobby.c - logins waiting for their turn and refusals waiting to
    go out (broker/lobby.c): each comes back only when its delay is over,
    with its login intact; a refusal reaches the client with its code;
    held logins are bounded per address and lane, suspect ones leave room
    for clean ones, and refusals waiting to go out take no login's room.
*/
#include "lobby.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

typedef struct {
    int released;
    int64_t released_at;
    char user [32];
    uint64_t id;
} seen_t;

static void
s_release (void *arg, zframe_t *routing_id, Fshare__Message *msg, const gate_caller_t *caller)
{
    (void) routing_id; (void) caller;
    seen_t *seen = (seen_t *) arg;
    seen->released++;
    seen->released_at = zclock_mono ();
    snprintf (seen->user, sizeof seen->user, "%s", msg->login->user);
    seen->id = msg->id;
}

static int
s_stop (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id; (void) arg;
    return -1;
}

static Fshare__Message *
s_login (uint64_t id, const char *user)
{
    static Fshare__Login login;
    static Fshare__Message msg;
    fshare__login__init (&login);
    fshare__message__init (&msg);
    login.user = (char *) user;
    login.password = "secret";
    login.version = FSH_PROTOCOL_VERSION;
    msg.id = id;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGIN;
    msg.login = &login;
    return &msg;
}

static void
test_hold_and_refuse (void **state)
{
    (void) state;
    zsock_t *router = zsock_new_router ("inproc://test-lobby");
    zsock_t *dealer = zsock_new_dealer ("inproc://test-lobby");
    assert_non_null (router);
    assert_non_null (dealer);
    //  Learn the dealer's routing id
    zstr_send (dealer, "hello");
    zframe_t *routing_id = zframe_recv (router);
    char *hello = zstr_recv (router);
    zstr_free (&hello);

    zloop_t *loop = zloop_new ();
    seen_t seen = { 0 };
    outflow_t *outflow = outflow_new (router, OUTFLOW_BUDGET_BYTES, 1000);
    lobby_t *lobby = lobby_new (loop, outflow, s_release, &seen);
    gate_caller_t caller = { .fd = -1 };
    snprintf (caller.address, sizeof caller.address, "192.0.2.1");
    int64_t start = zclock_mono ();
    assert_int_equal (lobby_hold (lobby, routing_id, s_login (7, "alice"), &caller, THROTTLE_CLEAN, 60), 0);
    lobby_refuse_later (lobby, routing_id, 8, FSH_ERR_INVALID_CREDENTIALS, NULL, 30);
    assert_int_equal (lobby_size (lobby), 2);
    //  Not yet: nothing comes back before its time
    assert_int_equal (seen.released, 0);
    zloop_timer (loop, 300, 1, s_stop, NULL);
    zloop_start (loop);
    assert_int_equal (seen.released, 1);
    assert_true (seen.released_at - start >= 60);
    assert_string_equal (seen.user, "alice");
    assert_int_equal (seen.id, 7);
    assert_int_equal (lobby_size (lobby), 0);
    //  The refusal went out with its code and the code's text
    zsock_set_rcvtimeo (dealer, 1000);
    zframe_t *frame = zframe_recv (dealer);
    assert_non_null (frame);
    Fshare__Message *reply = fsh_msg_decode (zframe_data (frame), zframe_size (frame));
    assert_non_null (reply);
    assert_int_equal (reply->id, 8);
    assert_int_equal (fsh_msg_error_code (reply, FSH_ERR_NONE), FSH_ERR_INVALID_CREDENTIALS);
    assert_string_equal (reply->error, "invalid user or password");
    fsh_msg_destroy (&reply);
    zframe_destroy (&frame);

    //  Bounded per address: the one beyond is refused, another address not
    lobby_set_per_address (lobby, 2);
    assert_int_equal (lobby_hold (lobby, routing_id, s_login (1, "a"), &caller, THROTTLE_SUSPECT, 10000), 0);
    assert_int_equal (lobby_hold (lobby, routing_id, s_login (2, "b"), &caller, THROTTLE_SUSPECT, 10000), 0);
    assert_int_equal (lobby_hold (lobby, routing_id, s_login (3, "c"), &caller, THROTTLE_SUSPECT, 10000), -1);
    gate_caller_t elsewhere = { .fd = -1 };
    snprintf (elsewhere.address, sizeof elsewhere.address, "192.0.2.2");
    assert_int_equal (lobby_hold (lobby, routing_id, s_login (4, "d"), &elsewhere, THROTTLE_SUSPECT, 10000), 0);
    //  Only a Login is held
    Fshare__Message ping = FSHARE__MESSAGE__INIT;
    assert_int_equal (lobby_hold (lobby, routing_id, &ping, &elsewhere, THROTTLE_CLEAN, 10), -1);
    assert_int_equal (lobby_size (lobby), 3);
    //  The same address's clean lane has room of its own: a flood of
    //  suspect logins does not keep a clean one out
    assert_int_equal (lobby_hold (lobby, routing_id, s_login (5, "e"), &caller,
                                  THROTTLE_CLEAN, 10000), 0);
    assert_int_equal (lobby_hold (lobby, routing_id, s_login (6, "f"), &caller,
                                  THROTTLE_CLEAN, 10000), 0);
    assert_int_equal (lobby_hold (lobby, routing_id, s_login (7, "g"), &caller,
                                  THROTTLE_CLEAN, 10000), -1);
    assert_int_equal (lobby_held (lobby, THROTTLE_SUSPECT), 3);
    assert_int_equal (lobby_held (lobby, THROTTLE_CLEAN), 2);

    zloop_destroy (&loop);
    lobby_destroy (&lobby);
    outflow_destroy (&outflow);
    zframe_destroy (&routing_id);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

static gate_caller_t
s_caller (int index)
{
    gate_caller_t caller = { .fd = -1 };
    snprintf (caller.address, sizeof caller.address, "2001:db8::%x", index);
    return caller;
}

//  Suspect logins from many addresses fill at most LOBBY_SUSPECT_MAX of
//  the lobby: clean ones (even from a flooding address) still find room,
//  up to LOBBY_HELD_MAX in all. Refusals waiting to go out, however many,
//  take none of it.
static void
test_lanes_bounded (void **state)
{
    (void) state;
    zsock_t *router = zsock_new_router ("inproc://test-lobby-lanes");
    assert_non_null (router);
    zframe_t *routing_id = zframe_new ("\0abcd", 5);
    zloop_t *loop = zloop_new ();
    seen_t seen = { 0 };
    outflow_t *outflow = outflow_new (router, OUTFLOW_BUDGET_BYTES, 1000);
    lobby_t *lobby = lobby_new (loop, outflow, s_release, &seen);
    for (int i = 0; i < 3000; i++)
        lobby_refuse_later (lobby, routing_id, (uint64_t) i, FSH_ERR_INVALID_CREDENTIALS,
                            NULL, 60000);
    int held = 0;
    for (int i = 0; i < 100; i++) {
        gate_caller_t caller = s_caller (i);
        for (int j = 0; j < LOBBY_HELD_PER_ADDRESS + 1; j++)
            if (lobby_hold (lobby, routing_id, s_login (1, "mallory"), &caller,
                            THROTTLE_SUSPECT, 60000) == 0)
                held++;
    }
    assert_int_equal (held, LOBBY_SUSPECT_MAX);
    assert_int_equal (lobby_held (lobby, THROTTLE_SUSPECT), LOBBY_SUSPECT_MAX);
    //  The first flooding address: its suspect lane is full, its clean one not
    gate_caller_t flooder = s_caller (0);
    assert_int_equal (lobby_hold (lobby, routing_id, s_login (2, "alice"), &flooder,
                                  THROTTLE_CLEAN, 60000), 0);
    int clean = 1;
    for (int i = 100; i < 200; i++) {
        gate_caller_t caller = s_caller (i);
        for (int j = 0; j < LOBBY_HELD_PER_ADDRESS; j++)
            if (lobby_hold (lobby, routing_id, s_login (3, "fresh"), &caller,
                            THROTTLE_CLEAN, 60000) == 0)
                clean++;
    }
    assert_int_equal (clean, LOBBY_HELD_MAX - LOBBY_SUSPECT_MAX);
    assert_int_equal (lobby_size (lobby), 3000 + LOBBY_HELD_MAX);
    zloop_destroy (&loop);
    lobby_destroy (&lobby);
    outflow_destroy (&outflow);
    zframe_destroy (&routing_id);
    zsock_destroy (&router);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_hold_and_refuse),
        cmocka_unit_test (test_lanes_bounded),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
