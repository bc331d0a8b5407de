/*  test_tlink.c - the downloads' link to the broker (peer/tlink.c): what
    it sends (our session on every message, a Cancel with its code and the
    code's text when no reason is given, a Credit with its checking flag),
    that it sends nothing offline or to a broker that takes nothing, and
    the stall limit (the broker's timeout or the default, plus a margin).
*/
#include "fixture.h"
#include "tlink.h"

typedef struct {
    zsock_t *router;            //  the broker's end
    zsock_t *dealer;            //  the agent's
    tlink_t link;
} tlink_fixture_t;

static int
s_setup (void **state)
{
    tlink_fixture_t *fx = (tlink_fixture_t *) zmalloc (sizeof (tlink_fixture_t));
    char endpoint [64];
    fixture_inproc (endpoint, sizeof endpoint, "tlink");
    fx->router = zsock_new_router (endpoint);
    fx->dealer = zsock_new_dealer (endpoint);
    assert_non_null (fx->router);
    assert_non_null (fx->dealer);
    zsock_set_rcvtimeo (fx->router, 5000);
    fx->link.user = "alice";
    fx->link.dealer = fx->dealer;
    fx->link.session = "s3ss10n";
    fx->link.chunk = TRANSFER_CHUNK;
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    tlink_fixture_t *fx = (tlink_fixture_t *) *state;
    zsock_destroy (&fx->dealer);
    zsock_destroy (&fx->router);
    free (fx);
    return 0;
}

//  What the broker receives next.
static Fshare__Message *
s_recv (tlink_fixture_t *fx)
{
    zframe_t *identity = zframe_recv (fx->router);
    assert_non_null (identity);
    zframe_destroy (&identity);
    Fshare__Message *msg = fsh_msg_recv (fx->router);
    assert_non_null (msg);
    return msg;
}

static void
test_send (void **state)
{
    tlink_fixture_t *fx = (tlink_fixture_t *) *state;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_PING;
    Fshare__Ping ping = FSHARE__PING__INIT;
    msg.ping = &ping;
    msg.id = 77;
    assert_int_equal (tlink_send (&fx->link, &msg), 0);
    Fshare__Message *got = s_recv (fx);
    assert_int_equal (got->body_case, FSHARE__MESSAGE__BODY_PING);
    assert_int_equal (got->id, 77);
    assert_string_equal (got->session, "s3ss10n");
    fsh_msg_destroy (&got);

    //  Offline: nothing is sent, -1
    fx->link.dealer = NULL;
    assert_int_equal (tlink_send (&fx->link, &msg), -1);
    tlink_cancel (&fx->link, 1, FSH_ERR_CANCELLED, NULL);
    tlink_credit (&fx->link, 1, 100, false, 300, 77);
    fx->link.dealer = fx->dealer;
    //  Nothing arrived meanwhile: the next message is the next one sent
    msg.id = 78;
    assert_int_equal (tlink_send (&fx->link, &msg), 0);
    got = s_recv (fx);
    assert_int_equal (got->id, 78);
    fsh_msg_destroy (&got);
}

//  A broker that takes nothing (no peer at all): -1 at once, never a block.
static void
test_send_refused (void **state)
{
    tlink_fixture_t *fx = (tlink_fixture_t *) *state;
    zsock_t *lonely = zsock_new (ZMQ_DEALER);
    zsock_set_sndtimeo (lonely, 0);
    fx->link.dealer = lonely;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    Fshare__Ping ping = FSHARE__PING__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_PING;
    msg.ping = &ping;
    assert_int_equal (tlink_send (&fx->link, &msg), -1);
    fx->link.dealer = fx->dealer;
    zsock_destroy (&lonely);
}

static void
test_cancel_and_credit (void **state)
{
    tlink_fixture_t *fx = (tlink_fixture_t *) *state;
    tlink_cancel (&fx->link, 12, FSH_ERR_STALLED, "requester stalled");
    Fshare__Message *got = s_recv (fx);
    assert_int_equal (got->body_case, FSHARE__MESSAGE__BODY_CANCEL);
    assert_string_equal (got->session, "s3ss10n");
    assert_int_equal (got->cancel->transfer, 12);
    assert_int_equal (got->cancel->code, FSH_ERR_STALLED);
    assert_string_equal (got->cancel->reason, "requester stalled");
    fsh_msg_destroy (&got);
    //  No reason: the code's own text
    tlink_cancel (&fx->link, 13, FSH_ERR_DISK_FULL, NULL);
    got = s_recv (fx);
    assert_int_equal (got->cancel->code, FSH_ERR_DISK_FULL);
    assert_string_equal (got->cancel->reason, fsh_err_text (FSH_ERR_DISK_FULL));
    assert_true (strlen (got->cancel->reason) > 0);
    fsh_msg_destroy (&got);

    tlink_credit (&fx->link, 14, TRANSFER_WINDOW, false, 0, 0);
    got = s_recv (fx);
    assert_int_equal (got->body_case, FSHARE__MESSAGE__BODY_CREDIT);
    assert_int_equal (got->credit->transfer, 14);
    assert_int_equal (got->credit->bytes, TRANSFER_WINDOW);
    assert_false (got->credit->checking);
    fsh_msg_destroy (&got);
    tlink_credit (&fx->link, 14, 0, true, 0, 0);
    got = s_recv (fx);
    assert_int_equal (got->credit->bytes, 0);
    assert_true (got->credit->checking);
    fsh_msg_destroy (&got);
    //  The last chunk's end and receipt go back with the credit
    tlink_credit (&fx->link, 14, 1024, false, 5 * 1024, 0x1122334455667788ULL);
    got = s_recv (fx);
    assert_int_equal (got->credit->bytes, 1024);
    assert_int_equal (got->credit->received, 5 * 1024);
    assert_int_equal (got->credit->receipt, 0x1122334455667788ULL);
    fsh_msg_destroy (&got);
}

static void
test_clocks (void **state)
{
    tlink_fixture_t *fx = (tlink_fixture_t *) *state;
    //  A broker that says nothing: the default, plus our margin
    fx->link.stall_ms = 0;
    assert_int_equal (tlink_stall_limit (&fx->link), TRANSFER_STALL_MS + TRANSFER_STALL_MARGIN_MS);
    fx->link.stall_ms = 5000;
    assert_int_equal (tlink_stall_limit (&fx->link), 5000 + TRANSFER_STALL_MARGIN_MS);
    //  Always behind the broker's own clock
    fx->link.stall_ms = 1;
    assert_true (tlink_stall_limit (&fx->link) > 1);

    assert_true (tlink_rate (2000000, 2.0) == 1.0);
    assert_true (tlink_rate (123, 0) == 0);
    assert_true (tlink_rate (0, 1.0) == 0);
    int64_t now = zclock_mono ();
    assert_true (tlink_seconds_since (now) >= 0);
    assert_true (tlink_seconds_since (now - 3000) >= 3.0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_send, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_send_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cancel_and_credit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_clocks, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
