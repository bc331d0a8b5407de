/*  test_snapflow.c - a connection's snapshot pages in flight
    (broker/snapflow.c): a connection that has not taken its snapshot gets
    no other, its newest request waits and is answered once the pages are
    out, and pages still queued at the end are freed.
*/
#include "fshare.h"
#include "snapflow.h"
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
    snapflow_t *flow = snapflow_new ();
    zlistx_t *answered = zlistx_new ();
    bool replaced;

    snapflow_account_t *account = snapflow_admit (flow, routing_id, 1, &replaced);
    assert_non_null (account);
    Fshare__Message page = FSHARE__MESSAGE__INIT;
    page.id = 1;
    assert_int_equal (snapflow_send (account, &page, router, routing_id), 0);
    assert_int_equal (snapflow_send (account, &page, router, routing_id), 0);
    assert_null (snapflow_admit (flow, routing_id, 2, &replaced));
    assert_false (replaced);
    assert_null (snapflow_admit (flow, routing_id, 3, &replaced));
    assert_true (replaced);
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
    account = snapflow_admit (flow, routing_id, 4, &replaced);
    assert_non_null (account);
    assert_int_equal (snapflow_send (account, &page, router, routing_id), 0);
    snapflow_destroy (&flow);
    zlistx_destroy (&answered);
    zframe_destroy (&routing_id);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_snapshot_flow),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
