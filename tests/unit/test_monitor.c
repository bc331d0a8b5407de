/*  test_monitor.c - proto/monitor: a socket's own account of connections
    that end. A peer that goes away is reported as a disconnection with
    the very descriptor its messages came on (ZMQ_SRCFD); a peer that
    breaks the handshake as a failed handshake with its ZMTP error; the
    events not asked for (connections made, accepted) are not reported.
    Every wait is a poll with a deadline.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include "monitor.h"
#include "curve.h"

#define DEADLINE_MS 5000

//  Whether `sock` has something to read within wait_ms.
static bool
s_ready (zsock_t *sock, int wait_ms)
{
    zmq_pollitem_t item = { zsock_resolve (sock), 0, ZMQ_POLLIN, 0 };
    return zmq_poll (&item, 1, wait_ms) == 1;
}

//  A ROUTER on an ephemeral loopback port; its endpoint into `endpoint`.
static zsock_t *
s_router (char *endpoint, size_t size)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert_non_null (router);
    zsock_set_linger (router, 0);
    assert_true (zsock_bind (router, "tcp://127.0.0.1:*") > 0);
    snprintf (endpoint, size, "%s", zsock_endpoint (router));
    return router;
}

static void
test_disconnection (void **state)
{
    (void) state;
    char endpoint [64];
    zsock_t *router = s_router (endpoint, sizeof endpoint);
    monitor_t *monitor = monitor_new (router, "test-disconnection");
    assert_non_null (monitor);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (dealer, 0);
    assert_int_equal (zsock_connect (dealer, "%s", endpoint), 0);
    assert_int_equal (zstr_send (dealer, "hello"), 0);
    //  The ROUTER gets it: id frame, then the message with its descriptor
    assert_true (s_ready (router, DEADLINE_MS));
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    assert_true (zmq_msg_recv (&frame, zsock_resolve (router), 0) >= 0);
    zmq_msg_close (&frame);
    zmq_msg_init (&frame);
    assert_int_equal (zmq_msg_recv (&frame, zsock_resolve (router), 0), 5);
    int fd = zmq_msg_get (&frame, ZMQ_SRCFD);
    zmq_msg_close (&frame);
    assert_true (fd >= 0);
    //  Connecting and being accepted are not reported
    assert_false (s_ready (monitor_socket (monitor), 0));
    zsock_destroy (&dealer);
    assert_true (s_ready (monitor_socket (monitor), DEADLINE_MS));
    int event = 0, value = -1;
    assert_int_equal (monitor_read (monitor, &event, &value), 0);
    assert_int_equal (event, ZMQ_EVENT_DISCONNECTED);
    assert_int_equal (value, fd);
    assert_false (s_ready (monitor_socket (monitor), 0));
    monitor_destroy (&monitor);
    assert_null (monitor);
    monitor_destroy (&monitor);
    zsock_destroy (&router);
}

static void
test_failed_handshake (void **state)
{
    (void) state;
    char endpoint [64];
    zsock_t *router = s_router (endpoint, sizeof endpoint);
    monitor_t *monitor = monitor_new (router, "test-handshake");
    assert_non_null (monitor);
    //  A CURVE client at a plain server: the mechanisms do not match
    zcert_t *server = zcert_new ();
    zcert_t *client_cert = zcert_new ();
    zsock_t *client = zsock_new (ZMQ_DEALER);
    zsock_set_linger (client, 0);
    fsh_curve_client (client, client_cert, zcert_public_txt (server));
    assert_int_equal (zsock_connect (client, "%s", endpoint), 0);
    assert_true (s_ready (monitor_socket (monitor), DEADLINE_MS));
    int event = 0, value = 0;
    assert_int_equal (monitor_read (monitor, &event, &value), 0);
    assert_int_equal (event, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    assert_int_equal (value, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    //  ... and nothing of it reached the ROUTER
    assert_false (s_ready (router, 0));
    zsock_destroy (&client);
    zcert_destroy (&client_cert);
    zcert_destroy (&server);
    monitor_destroy (&monitor);
    zsock_destroy (&router);
}

static void
test_names (void **state)
{
    (void) state;
    char endpoint [64];
    zsock_t *first = s_router (endpoint, sizeof endpoint);
    zsock_t *second = s_router (endpoint, sizeof endpoint);
    monitor_t *monitor = monitor_new (first, "test-same-name");
    assert_non_null (monitor);
    //  The name makes the inproc endpoint: taken already, refused
    assert_null (monitor_new (second, "test-same-name"));
    monitor_t *other = monitor_new (second, "test-other-name");
    assert_non_null (other);
    assert_ptr_not_equal (monitor_socket (other), monitor_socket (monitor));
    monitor_destroy (&other);
    monitor_destroy (&monitor);
    zsock_destroy (&second);
    zsock_destroy (&first);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_disconnection),
        cmocka_unit_test (test_failed_handshake),
        cmocka_unit_test (test_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
