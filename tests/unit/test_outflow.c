/*  test_outflow.c - replies a connection has not taken (broker/outflow.c,
    on broker/inflight.c): a connection holding OUTFLOW_BACKLOG of them
    gets no more until it reads, once the budget of every connection is
    spent one holding OUTFLOW_SHARE gets no more, a deaf connection whose
    replies have not moved for the stall time is shut down (never one the
    monitor saw end), and accounts with nothing in flight are forgotten.
*/
#include "fshare.h"
#include "outflow.h"
#include <sys/socket.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

//  A DEALER on `endpoint` that reads only when told, and its routing id
//  at router; neither end's queue has a high-water mark, so what the
//  broker's side holds is what the test sent.
static zsock_t *
s_dealer (zsock_t *router, const char *endpoint, zframe_t **routing_id)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvhwm (dealer, 0);
    zsock_set_rcvtimeo (dealer, 5000);
    assert_int_equal (zsock_connect (dealer, "%s", endpoint), 0);
    zstr_send (dealer, "hello");
    zmsg_t *hello = zmsg_recv (router);
    assert_non_null (hello);
    *routing_id = zmsg_pop (hello);
    zmsg_destroy (&hello);
    return dealer;
}

static zsock_t *
s_router (const char *endpoint)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_set_sndhwm (router, 0);
    zsock_set_rcvtimeo (router, 5000);
    assert_int_equal (zsock_bind (router, "%s", endpoint), 0);
    return router;
}

static void
s_read_all (zsock_t *dealer, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        Fshare__Message *msg = fsh_msg_recv (dealer);
        assert_non_null (msg);
        fsh_msg_destroy (&msg);
    }
}

//  One connection: deaf at the backlog, heard again once it has read
static void
test_backlog (void **state)
{
    (void) state;
    zsock_t *router = s_router ("inproc://test-outflow");
    zframe_t *routing_id;
    zsock_t *dealer = s_dealer (router, "inproc://test-outflow", &routing_id);
    outflow_t *flow = outflow_new (router, OUTFLOW_BUDGET_BYTES, 30000);
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    reply.id = 7;
    for (size_t i = 0; i < OUTFLOW_BACKLOG; i++)
        assert_int_equal (outflow_send (flow, routing_id, -1, &reply), OUTFLOW_SENT);
    assert_true (outflow_bytes (flow) >= OUTFLOW_BACKLOG * OUTFLOW_OVERHEAD);
    assert_int_equal (outflow_send (flow, routing_id, -1, &reply), OUTFLOW_DEAF_NOW);
    assert_int_equal (outflow_send (flow, routing_id, -1, &reply), OUTFLOW_DEAF);
    assert_int_equal (outflow_size (flow), 1);
    s_read_all (dealer, OUTFLOW_BACKLOG);
    assert_int_equal (outflow_bytes (flow), 0);
    assert_int_equal (outflow_send (flow, routing_id, -1, &reply), OUTFLOW_SENT);
    s_read_all (dealer, 1);
    //  Nothing in flight: the account is forgotten
    assert_int_equal (outflow_expire (flow, zclock_mono ()), 0);
    assert_int_equal (outflow_size (flow), 0);
    outflow_destroy (&flow);
    zframe_destroy (&routing_id);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

//  Every connection together: once the budget is spent, one holding its
//  share gets no more, while one holding less still gets its answers
static void
test_budget (void **state)
{
    (void) state;
    zsock_t *router = s_router ("inproc://test-outflow-budget");
    zframe_t *deaf_id, *live_id;
    zsock_t *deaf = s_dealer (router, "inproc://test-outflow-budget", &deaf_id);
    zsock_t *live = s_dealer (router, "inproc://test-outflow-budget", &live_id);
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    reply.id = 7;
    //  The budget: a little over 2 shares of replies
    size_t budget = 2 * OUTFLOW_SHARE * OUTFLOW_OVERHEAD + 1;
    outflow_t *flow = outflow_new (router, budget, 30000);
    size_t sent = 0;
    while (outflow_send (flow, deaf_id, -1, &reply) == OUTFLOW_SENT)
        sent++;
    assert_true (sent > OUTFLOW_SHARE && sent < OUTFLOW_BACKLOG);
    assert_true (outflow_bytes (flow) >= budget);
    for (int i = 0; i < OUTFLOW_SHARE - 1; i++)
        assert_int_equal (outflow_send (flow, live_id, -1, &reply), OUTFLOW_SENT);
    s_read_all (live, OUTFLOW_SHARE - 1);
    assert_int_equal (outflow_send (flow, live_id, -1, &reply), OUTFLOW_SENT);
    s_read_all (live, 1);
    //  The deaf one reads: the budget is free again
    s_read_all (deaf, sent);
    assert_int_equal (outflow_bytes (flow), 0);
    assert_int_equal (outflow_send (flow, deaf_id, -1, &reply), OUTFLOW_SENT);
    s_read_all (deaf, 1);
    outflow_destroy (&flow);
    zframe_destroy (&deaf_id);
    zframe_destroy (&live_id);
    zsock_destroy (&deaf);
    zsock_destroy (&live);
    zsock_destroy (&router);
}

//  A deaf connection whose replies have not moved for the stall time is
//  shut down (here one end of a socketpair stands for its socket); one
//  the monitor saw end never is, nor one that is merely slow
static void
test_expire (void **state)
{
    (void) state;
    zsock_t *router = s_router ("inproc://test-outflow-expire");
    zframe_t *routing_id;
    zsock_t *dealer = s_dealer (router, "inproc://test-outflow-expire", &routing_id);
    int pair [2];
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM, 0, pair), 0);
    outflow_t *flow = outflow_new (router, OUTFLOW_BUDGET_BYTES, 1000);
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    reply.id = 7;
    int64_t now = zclock_mono ();
    //  Holding replies but not deaf: slow, not shut down
    for (size_t i = 0; i < OUTFLOW_BACKLOG - 1; i++)
        assert_int_equal (outflow_send (flow, routing_id, pair [0], &reply), OUTFLOW_SENT);
    assert_int_equal (outflow_expire (flow, now + 2000), 0);
    //  Deaf now: shut down once the stall time has passed, and only once
    assert_int_equal (outflow_send (flow, routing_id, pair [0], &reply), OUTFLOW_SENT);
    assert_int_equal (outflow_send (flow, routing_id, pair [0], &reply), OUTFLOW_DEAF_NOW);
    assert_int_equal (outflow_expire (flow, now), 0);
    assert_int_equal (outflow_expire (flow, now + 2000), 1);
    assert_int_equal (outflow_expire (flow, now + 4000), 0);
    char byte;
    assert_int_equal (recv (pair [1], &byte, 1, 0), 0);      //  the other end sees EOF
    //  Shut down, it gets nothing more (until its queue is gone)
    assert_int_equal (outflow_send (flow, routing_id, pair [0], &reply), OUTFLOW_DEAF);
    s_read_all (dealer, OUTFLOW_BACKLOG);
    outflow_destroy (&flow);

    //  A connection the monitor saw end is never shut down: its number is free
    flow = outflow_new (router, OUTFLOW_BUDGET_BYTES, 1000);
    for (size_t i = 0; i <= OUTFLOW_BACKLOG; i++)
        outflow_send (flow, routing_id, pair [1], &reply);
    outflow_disconnected (flow, pair [1]);
    assert_int_equal (outflow_expire (flow, now + 2000), 0);
    s_read_all (dealer, OUTFLOW_BACKLOG);
    outflow_destroy (&flow);
    close (pair [0]);
    close (pair [1]);
    zframe_destroy (&routing_id);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

//  Replies still queued when the outflow goes are freed by libzmq later,
//  and the accounts with them (ASan would say otherwise)
static void
test_outlives (void **state)
{
    (void) state;
    zsock_t *router = s_router ("inproc://test-outflow-outlives");
    zframe_t *routing_id;
    zsock_t *dealer = s_dealer (router, "inproc://test-outflow-outlives", &routing_id);
    outflow_t *flow = outflow_new (router, OUTFLOW_BUDGET_BYTES, 1000);
    Fshare__Message reply = FSHARE__MESSAGE__INIT;
    reply.id = 7;
    for (int i = 0; i < 10; i++)
        assert_int_equal (outflow_send (flow, routing_id, -1, &reply), OUTFLOW_SENT);
    outflow_destroy (&flow);
    s_read_all (dealer, 5);
    zframe_destroy (&routing_id);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_backlog),
        cmocka_unit_test (test_budget),
        cmocka_unit_test (test_expire),
        cmocka_unit_test (test_outlives),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
