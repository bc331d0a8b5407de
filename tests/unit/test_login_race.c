/*  test_login_race.c - the login pipeline (broker/login.c) on a loop of
    the test's own, so that the account file can change at an exact point:
    after a first login of an unknown name started registering it (its
    password is being hashed), and before the hash comes back. An
    administrator's account added meanwhile is never overwritten by the
    registration, and that login is refused like any wrong password.
*/
#include "fixture.h"
#include "login.h"

typedef struct {
    int granted;
    Fshare__Message *reply;
} race_t;

static fsh_err_t
s_accept (void *arg, const login_grant_t *grant, const char **text)
{
    (void) grant; (void) text;
    ((race_t *) arg)->granted++;
    return FSH_ERR_NONE;
}

static int
s_on_reply (zloop_t *loop, zsock_t *dealer, void *arg)
{
    (void) loop;
    ((race_t *) arg)->reply = fsh_msg_recv (dealer);
    return -1;
}

static int
s_deadline (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id; (void) arg;
    return -1;
}

static void
test_admin_account_wins (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("loginrace");
    char *endpoint = zsys_sprintf ("ipc://%s/login.ipc", fx->dir);
    zsock_t *router = zsock_new_router (endpoint);
    zsock_t *dealer = zsock_new_dealer (endpoint);
    assert_non_null (router);
    assert_non_null (dealer);
    zsock_set_rcvtimeo (router, DEADLINE_MS);
    zloop_t *loop = zloop_new ();
    fsh_ratelog_t *ratelog = fsh_ratelog_new (10);
    race_t race = { 0 };
    login_config_t config = {
        .accounts = fx->accounts, .registration = true, .cost = PASSHASH_COST_MIN,
        .delay_ms = 10, .delay_max_ms = 10
    };
    char *error = NULL;
    outflow_t *outflow = outflow_new (router, OUTFLOW_BUDGET_BYTES, 1000);
    login_t *login = login_new (&config, loop, outflow, ratelog, s_accept, &race, &error);
    assert_non_null (login);

    //  carol's first login: unknown, so registration starts hashing "mine"
    Fshare__Login body = client_login_body ("carol", "mine", false);
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 1, FSHARE__MESSAGE__BODY_LOGIN, &body);
    assert_int_equal (fsh_msg_send (&msg, dealer), 0);
    zmsg_t *request = zmsg_recv (router);
    assert_non_null (request);
    zframe_t *routing_id = zmsg_pop (request);
    zframe_t *frame = zmsg_pop (request);
    Fshare__Message *decoded = fsh_msg_decode (zframe_data (frame), zframe_size (frame));
    assert_non_null (decoded);
    gate_caller_t caller = { .fd = -1 };
    login_handle (login, routing_id, decoded, &caller);

    //  Meanwhile the administrator adds carol with a password of her own
    fixture_account (fx, "carol", "admins");

    zloop_reader (loop, dealer, s_on_reply, &race);
    zloop_timer (loop, DEADLINE_MS, 1, s_deadline, NULL);
    zloop_start (loop);
    assert_int_equal (race.granted, 0);
    assert_non_null (race.reply);
    assert_int_equal (race.reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_int_equal (fsh_msg_error_code (race.reply, FSH_ERR_INTERNAL),
                      FSH_ERR_INVALID_CREDENTIALS);

    //  The file holds the administrator's account, untouched
    accounts_t *accounts = accounts_new (fx->accounts);
    assert_int_equal (accounts_load (accounts, &error), 0);
    assert_true (passhash_verify (accounts_lookup (accounts, "carol"), "admins"));
    assert_false (passhash_verify (accounts_lookup (accounts, "carol"), "mine"));
    accounts_destroy (&accounts);

    fsh_msg_destroy (&race.reply);
    fsh_msg_destroy (&decoded);
    zframe_destroy (&frame);
    zframe_destroy (&routing_id);
    zmsg_destroy (&request);
    zloop_destroy (&loop);
    login_destroy (&login);
    outflow_destroy (&outflow);
    fsh_ratelog_destroy (&ratelog);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
    zstr_free (&endpoint);
    fixture_destroy (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_admin_account_wins),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
