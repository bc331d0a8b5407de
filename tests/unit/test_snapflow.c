/*  test_snapflow.c - a connection's snapshot pages in flight
    (broker/snapflow.c): a connection that has not taken its snapshot gets
    no other, its newest request waits and is answered once the pages are
    out, and pages still queued at the end are freed. Every connection's
    pages together have a budget (beyond: busy), and a snapshot nobody
    reads is dropped with its connection.
*/
#include "fshare.h"
#include "snapflow.h"
#include <sys/socket.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

//  snapflow_release's callback: the request ids it answers
static void
s_answer (void *arg, zframe_t *routing_id, uint64_t request_id)
{
    (void) routing_id;
    zlistx_add_end ((zlistx_t *) arg, (void *) (uintptr_t) request_id);
}

//  A connection that has not taken its snapshot gets no other: its next
//  request waits (the newest of them), and is answered once it has
static void
test_snapshot_flow (void **state)
{
    (void) state;
    zsock_t *router = zsock_new_router ("@inproc://test-snapflow");
    zsock_t *dealer = zsock_new_dealer (">inproc://test-snapflow");
    zsock_set_rcvtimeo (router, 5000);
    zsock_set_rcvtimeo (dealer, 5000);
    zstr_send (dealer, "hello");
    zmsg_t *hello = zmsg_recv (router);
    zframe_t *routing_id = zmsg_pop (hello);
    zmsg_destroy (&hello);
    snapflow_t *flow = snapflow_new (SNAPFLOW_BUDGET_BYTES, 30000);
    zlistx_t *answered = zlistx_new ();
    snapflow_verdict_t verdict;

    snapflow_account_t *account = snapflow_admit (flow, routing_id, -1, 1, &verdict);
    assert_non_null (account);
    assert_int_equal (verdict, SNAPFLOW_SEND);
    Fshare__Message page = FSHARE__MESSAGE__INIT;
    page.id = 1;
    assert_int_equal (snapflow_send (account, &page, router), 0);
    assert_int_equal (snapflow_send (account, &page, router), 0);
    assert_null (snapflow_admit (flow, routing_id, -1, 2, &verdict));
    assert_int_equal (verdict, SNAPFLOW_WAITS);
    assert_null (snapflow_admit (flow, routing_id, -1, 3, &verdict));
    assert_int_equal (verdict, SNAPFLOW_REPLACED);
    snapflow_release (flow, s_answer, answered);
    assert_int_equal (zlistx_size (answered), 0);
    assert_int_equal (snapflow_waiting (flow), 1);

    //  One page taken, one still queued: still waiting
    Fshare__Message *msg = fsh_msg_recv (dealer);
    assert_non_null (msg);
    fsh_msg_destroy (&msg);
    snapflow_release (flow, s_answer, answered);
    assert_int_equal (zlistx_size (answered), 0);
    msg = fsh_msg_recv (dealer);
    assert_non_null (msg);
    fsh_msg_destroy (&msg);
    snapflow_release (flow, s_answer, answered);
    assert_int_equal (zlistx_size (answered), 1);
    assert_int_equal ((uintptr_t) zlistx_first (answered), 3);
    assert_int_equal (snapflow_waiting (flow), 0);

    //  Pages still queued when the broker ends are freed by libzmq later
    account = snapflow_admit (flow, routing_id, -1, 4, &verdict);
    assert_non_null (account);
    assert_int_equal (snapflow_send (account, &page, router), 0);
    snapflow_destroy (&flow);
    zlistx_destroy (&answered);
    zframe_destroy (&routing_id);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

//  A big page of `size` bytes (one long error text)
static Fshare__Message
s_page (char *text, size_t size)
{
    memset (text, 'x', size);
    text [size] = 0;
    Fshare__Message page = FSHARE__MESSAGE__INIT;
    page.id = 1;
    page.error = text;
    return page;
}

//  Every connection's pages together: once the budget is in flight, a
//  new connection's request is refused busy, and admitted again once
//  they are taken
static void
test_snapshot_budget (void **state)
{
    (void) state;
    zsock_t *router = zsock_new_router ("@inproc://test-snapflow-budget");
    zsock_t *dealers [3];
    zframe_t *ids [3];
    zsock_set_rcvtimeo (router, 5000);
    for (int i = 0; i < 3; i++) {
        dealers [i] = zsock_new_dealer (">inproc://test-snapflow-budget");
        zsock_set_rcvtimeo (dealers [i], 5000);
        zstr_send (dealers [i], "hello");
        zmsg_t *hello = zmsg_recv (router);
        ids [i] = zmsg_pop (hello);
        zmsg_destroy (&hello);
    }
    snapflow_t *flow = snapflow_new (100000, 30000);
    char *text = (char *) malloc (60001);
    Fshare__Message page = s_page (text, 60000);
    snapflow_verdict_t verdict;
    for (int i = 0; i < 2; i++) {
        snapflow_account_t *account = snapflow_admit (flow, ids [i], -1, 1, &verdict);
        assert_non_null (account);
        assert_int_equal (snapflow_send (account, &page, router), 0);
    }
    //  120,000 bytes in flight: the third is refused, and costs nothing
    assert_true (snapflow_bytes (flow) >= 120000);
    assert_null (snapflow_admit (flow, ids [2], -1, 1, &verdict));
    assert_int_equal (verdict, SNAPFLOW_BUSY);
    assert_int_equal (snapflow_waiting (flow), 0);
    for (int i = 0; i < 2; i++) {
        Fshare__Message *msg = fsh_msg_recv (dealers [i]);
        assert_non_null (msg);
        fsh_msg_destroy (&msg);
    }
    assert_int_equal (snapflow_bytes (flow), 0);
    assert_non_null (snapflow_admit (flow, ids [2], -1, 2, &verdict));
    assert_int_equal (verdict, SNAPFLOW_SEND);
    snapflow_destroy (&flow);
    free (text);
    for (int i = 0; i < 3; i++) {
        zframe_destroy (&ids [i]);
        zsock_destroy (&dealers [i]);
    }
    zsock_destroy (&router);
}

//  A snapshot whose pages do not move for the stall time is dropped: its
//  connection's socket is shut down (here one end of a socketpair standing
//  for it), and only once
static void
test_snapshot_expire (void **state)
{
    (void) state;
    zsock_t *router = zsock_new_router ("@inproc://test-snapflow-expire");
    zsock_t *dealer = zsock_new_dealer (">inproc://test-snapflow-expire");
    zsock_set_rcvtimeo (router, 5000);
    zsock_set_rcvtimeo (dealer, 5000);
    zstr_send (dealer, "hello");
    zmsg_t *hello = zmsg_recv (router);
    zframe_t *routing_id = zmsg_pop (hello);
    zmsg_destroy (&hello);
    int pair [2];
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM, 0, pair), 0);
    snapflow_t *flow = snapflow_new (SNAPFLOW_BUDGET_BYTES, 1000);
    snapflow_verdict_t verdict;
    snapflow_account_t *account = snapflow_admit (flow, routing_id, pair [0], 1, &verdict);
    assert_non_null (account);
    Fshare__Message page = FSHARE__MESSAGE__INIT;
    page.id = 1;
    assert_int_equal (snapflow_send (account, &page, router), 0);
    int64_t now = zclock_mono ();
    assert_int_equal (snapflow_expire (flow, now), 0);
    assert_int_equal (snapflow_expire (flow, now + 2000), 1);
    assert_int_equal (snapflow_expire (flow, now + 4000), 0);
    char byte;
    assert_int_equal (recv (pair [1], &byte, 1, 0), 0);      //  the other end sees EOF
    //  A connection the monitor saw end is never shut down: its number is free
    snapflow_t *other = snapflow_new (SNAPFLOW_BUDGET_BYTES, 1000);
    Fshare__Message *msg = fsh_msg_recv (dealer);
    fsh_msg_destroy (&msg);
    snapflow_release (flow, s_answer, NULL);
    account = snapflow_admit (other, routing_id, pair [1], 2, &verdict);
    assert_int_equal (snapflow_send (account, &page, router), 0);
    snapflow_disconnected (other, pair [1]);
    assert_int_equal (snapflow_expire (other, now + 2000), 0);
    snapflow_destroy (&other);
    snapflow_destroy (&flow);
    close (pair [0]);
    close (pair [1]);
    zframe_destroy (&routing_id);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_snapshot_flow),
        cmocka_unit_test (test_snapshot_budget),
        cmocka_unit_test (test_snapshot_expire),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
