/*  test_ctlclient.c - the control client (proto/ctlclient): finding an
    agent in the control directory, one request with its pages, deadlines,
    malformed replies, a bound on what one request keeps of its replies,
    and a stream that ends when the agent goes away.

    The "agent" is a ROUTER in an actor answering by a small script: status
    answers with an AgentStatus, ls with two pages, flood with 301, mute
    never, junk with bytes that are no CtlReply, events with an
    acknowledgement and one event. XDG_RUNTIME_DIR points at a temporary directory, so the control
    directory is the test's own.
*/
#include "fixture.h"
#include "fshare.h"
#include "ctlclient.h"
#include <fcntl.h>
#include <sys/resource.h>

static char s_dir [64];

static void
s_reply_send (zsock_t *router, zframe_t *routing_id, Fshare__CtlReply *reply)
{
    zframe_t *copy = zframe_dup (routing_id);
    assert_int_equal (fsh_pack_send (&reply->base, router, copy), 0);
    zframe_destroy (&copy);
}

static void
s_answer (zsock_t *router, zframe_t *routing_id, const Fshare__CtlRequest *request)
{
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    Fshare__AgentStatus agent = FSHARE__AGENT_STATUS__INIT;
    if (streq (request->command, "status")) {
        agent.user = "alice";
        agent.state = "online";
        reply.agent = &agent;
        s_reply_send (router, routing_id, &reply);
    }
    else
    if (streq (request->command, "ls")) {
        reply.more = true;
        reply.text = "page 1";
        s_reply_send (router, routing_id, &reply);
        reply.more = false;
        reply.text = "page 2";
        s_reply_send (router, routing_id, &reply);
    }
    else
    if (streq (request->command, "junk")) {
        zframe_t *copy = zframe_dup (routing_id);
        zframe_send (&copy, router, ZFRAME_MORE);
        zstr_send (router, "\xff\xff\xff");
    }
    else
    if (streq (request->command, "events")) {
        reply.more = true;
        s_reply_send (router, routing_id, &reply);
        reply.text = "an event";
        s_reply_send (router, routing_id, &reply);
    }
    else
    if (streq (request->command, "flood")) {
        //  300 pages of 1 KiB, then the last
        char text [1024];
        memset (text, 'f', sizeof text - 1);
        text [sizeof text - 1] = 0;
        reply.text = text;
        reply.more = true;
        for (int page = 0; page < 300; page++)
            s_reply_send (router, routing_id, &reply);
        reply.more = false;
        s_reply_send (router, routing_id, &reply);
    }
    else
    if (!streq (request->command, "mute")) {
        reply.status = FSHARE__STATUS__STATUS_ERROR;
        reply.error = "unknown command";
        s_reply_send (router, routing_id, &reply);
    }
}

//  The fake agent: answers until told to stop, then closes its socket.
static void
s_agent (zsock_t *pipe, void *args)
{
    zsock_t *router = zsock_new_router ((const char *) args);
    assert_non_null (router);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break;
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *routing_id = zmsg_pop (msg);
        zframe_t *body = zmsg_pop (msg);
        Fshare__CtlRequest *request = (Fshare__CtlRequest *) fsh_unpack (
            &fshare__ctl_request__descriptor, zframe_data (body), zframe_size (body));
        if (request)
            s_answer (router, routing_id, request);
        if (request)
            fshare__ctl_request__free_unpacked (request, NULL);
        zframe_destroy (&body);
        zframe_destroy (&routing_id);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

static zactor_t *
s_agent_start (const char *user)
{
    static char endpoint [128];
    char *control = fsh_control_endpoint (user);
    snprintf (endpoint, sizeof endpoint, "%s", control);
    zstr_free (&control);
    return zactor_new (s_agent, endpoint);
}

static int
s_setup (void **state)
{
    (void) state;
    fixture_tmpdir (s_dir, sizeof s_dir, "ctlclient");
    setenv ("XDG_RUNTIME_DIR", s_dir, 1);
    char *dir = fsh_control_dir ();
    assert_int_equal (fsh_mkdirs (dir, 0700), 0);
    zstr_free (&dir);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    nftw (s_dir, fixture_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static void
test_no_agent (void **state)
{
    (void) state;
    fsh_ctlclient_t *client = fsh_ctlclient_new ();
    zlistx_t *running = NULL;
    assert_int_equal (fsh_ctlclient_find (client, &running), FSH_CTL_NO_AGENT);
    assert_int_equal (zlistx_size (running), 0);
    zlistx_destroy (&running);
    assert_null (fsh_ctlclient_endpoint (client));
    assert_true (fsh_ctlclient_dead (client));

    //  A named user with no agent: nobody listens, known at once
    fsh_ctlclient_set_agent (client, "bob", NULL);
    assert_string_equal (fsh_ctlclient_user (client), "bob");
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "status";
    zlistx_t *replies = fsh_ctl_replies_new ();
    int64_t started = zclock_mono ();
    assert_int_equal (fsh_ctlclient_call (client, &request, 5000, replies), FSH_CTL_NO_AGENT);
    assert_true (zclock_mono () - started < 2000);
    zlistx_destroy (&replies);
    fsh_ctlclient_destroy (&client);
    assert_null (client);
}

static void
test_only_agent_and_pages (void **state)
{
    (void) state;
    zactor_t *agent = s_agent_start ("alice");
    fsh_ctlclient_t *client = fsh_ctlclient_new ();
    assert_int_equal (fsh_ctlclient_find (client, NULL), FSH_CTL_OK);
    assert_string_equal (fsh_ctlclient_user (client), "alice");
    assert_true (fsh_ctl_alive (fsh_ctlclient_endpoint (client), 2000));

    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "ls";
    zlistx_t *replies = fsh_ctl_replies_new ();
    assert_int_equal (fsh_ctlclient_call (client, &request, 5000, replies), FSH_CTL_OK);
    assert_int_equal (zlistx_size (replies), 2);
    assert_string_equal (((Fshare__CtlReply *) zlistx_first (replies))->text, "page 1");
    assert_string_equal (((Fshare__CtlReply *) zlistx_last (replies))->text, "page 2");
    zlistx_destroy (&replies);

    //  An error reply ends the exchange and is the last reply
    request.command = "nonsense";
    replies = fsh_ctl_replies_new ();
    assert_int_equal (fsh_ctlclient_call (client, &request, 5000, replies), FSH_CTL_OK);
    assert_int_equal (zlistx_size (replies), 1);
    Fshare__CtlReply *last = (Fshare__CtlReply *) zlistx_last (replies);
    assert_int_equal (last->status, FSHARE__STATUS__STATUS_ERROR);
    zlistx_destroy (&replies);

    //  Silence ends at the deadline; junk is malformed
    request.command = "mute";
    replies = fsh_ctl_replies_new ();
    assert_int_equal (fsh_ctlclient_call (client, &request, 200, replies), FSH_CTL_TIMEOUT);
    request.command = "junk";
    assert_int_equal (fsh_ctlclient_call (client, &request, 2000, replies), FSH_CTL_MALFORMED);
    zlistx_destroy (&replies);

    //  A second agent: no longer "the only one"
    zactor_t *other = s_agent_start ("bob");
    fsh_ctlclient_t *chooser = fsh_ctlclient_new ();
    zlistx_t *running = NULL;
    assert_int_equal (fsh_ctlclient_find (chooser, &running), FSH_CTL_SEVERAL);
    assert_int_equal (zlistx_size (running), 2);
    assert_string_equal ((const char *) zlistx_first (running), "alice");
    assert_string_equal ((const char *) zlistx_last (running), "bob");
    zlistx_destroy (&running);
    fsh_ctlclient_destroy (&chooser);
    zactor_destroy (&other);

    fsh_ctlclient_destroy (&client);
    zactor_destroy (&agent);
}

static void
test_stream (void **state)
{
    (void) state;
    zactor_t *agent = s_agent_start ("carol");
    char *endpoint = fsh_control_endpoint ("carol");
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "events";
    fsh_ctlstream_t *stream = fsh_ctlstream_new (endpoint, &request);
    assert_non_null (stream);
    Fshare__CtlReply *reply = NULL;
    assert_int_equal (fsh_ctlstream_recv (stream, 5000, &reply), FSH_CTL_OK);
    assert_true (reply->more);
    fsh_ctl_reply_free (&reply);
    assert_int_equal (fsh_ctlstream_recv (stream, 5000, &reply), FSH_CTL_OK);
    assert_string_equal (reply->text, "an event");
    fsh_ctl_reply_free (&reply);
    assert_null (reply);
    assert_int_equal (fsh_ctlstream_recv (stream, 100, &reply), FSH_CTL_TIMEOUT);
    assert_null (fsh_ctlstream_ready (stream));

    //  The agent goes away: the stream says so, however long it may wait
    zactor_destroy (&agent);
    assert_int_equal (fsh_ctlstream_recv (stream, 5000, &reply), FSH_CTL_GONE);
    assert_null (reply);
    fsh_ctlstream_destroy (&stream);
    assert_null (stream);
    zstr_free (&endpoint);
}

//  What a request keeps of its replies is bounded: beyond, TOO_LARGE, and
//  no more is read. The bound comes from FSHARE_CTL_MAX_BYTES.
static void
test_replies_bounded (void **state)
{
    (void) state;
    zactor_t *agent = s_agent_start ("dave");
    char *endpoint = fsh_control_endpoint ("dave");
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "flood";
    assert_int_equal (fsh_ctl_replies_max (), FSH_CTL_REPLIES_MAX_BYTES);
    zlistx_t *replies = fsh_ctl_replies_new ();
    assert_int_equal (fsh_ctl_exchange (endpoint, &request, 5000, replies), FSH_CTL_OK);
    assert_int_equal (zlistx_size (replies), 301);
    zlistx_destroy (&replies);

    setenv ("FSHARE_CTL_MAX_BYTES", "65536", 1);
    assert_int_equal (fsh_ctl_replies_max (), 65536);
    replies = fsh_ctl_replies_new ();
    assert_int_equal (fsh_ctl_exchange (endpoint, &request, 5000, replies), FSH_CTL_TOO_LARGE);
    uint64_t kept = 0;
    for (Fshare__CtlReply *reply = (Fshare__CtlReply *) zlistx_first (replies); reply;
         reply = (Fshare__CtlReply *) zlistx_next (replies))
        kept += fsh_ctl_reply_cost (reply);
    assert_true (kept <= 65536);
    assert_true (zlistx_size (replies) > 10 && zlistx_size (replies) < 300);
    zlistx_destroy (&replies);
    //  Nonsense in the variable: the default
    setenv ("FSHARE_CTL_MAX_BYTES", "lots", 1);
    assert_int_equal (fsh_ctl_replies_max (), FSH_CTL_REPLIES_MAX_BYTES);
    unsetenv ("FSHARE_CTL_MAX_BYTES");
    assert_int_equal (fsh_ctl_result_code (FSH_CTL_TOO_LARGE), FSH_ERR_TOO_LARGE);
    zstr_free (&endpoint);
    zactor_destroy (&agent);
}

static void
test_codes (void **state)
{
    (void) state;
    assert_int_equal (fsh_ctl_result_code (FSH_CTL_OK), FSH_ERR_NONE);
    assert_int_equal (fsh_ctl_result_code (FSH_CTL_NO_AGENT), FSH_ERR_NO_AGENT);
    assert_int_equal (fsh_ctl_result_code (FSH_CTL_TIMEOUT), FSH_ERR_NO_AGENT);
    assert_int_equal (fsh_ctl_result_code (FSH_CTL_GONE), FSH_ERR_NO_AGENT);
    assert_int_equal (fsh_ctl_result_code (FSH_CTL_SEVERAL), FSH_ERR_BAD_REQUEST);
    assert_int_equal (fsh_ctl_result_code (FSH_CTL_MALFORMED), FSH_ERR_PROTOCOL_ERROR);
    assert_int_equal (fsh_ctl_result_code (FSH_CTL_INTERRUPTED), FSH_ERR_CANCELLED);
    assert_int_equal (fsh_ctl_result_code (FSH_CTL_NO_FDS), FSH_ERR_BUSY);
    Fshare__CtlReply reply = FSHARE__CTL_REPLY__INIT;
    assert_int_equal (fsh_ctl_reply_code (&reply), FSH_ERR_NONE);
    reply.status = FSHARE__STATUS__STATUS_ERROR;
    assert_int_equal (fsh_ctl_reply_code (&reply), FSH_ERR_INTERNAL);     //  no code given
    reply.code = FSH_ERR_UNKNOWN_USER;
    assert_int_equal (fsh_ctl_reply_code (&reply), FSH_ERR_UNKNOWN_USER);
    reply.code = (Fshare__ErrorCode) 999;                                 //  a newer agent's
    assert_int_equal (fsh_ctl_reply_code (&reply), FSH_ERR_INTERNAL);
}

//  With every file descriptor of this process taken, a request and a
//  probe say so (NO_FDS: busy), not that the agent is silent or absent:
//  the web view's banner and fshare-ctl's message depend on it.
static void
test_out_of_descriptors (void **state)
{
    (void) state;
    zactor_t *agent = s_agent_start ("alice");
    char *endpoint = fsh_control_endpoint ("alice");
    assert_true (fsh_ctl_alive (endpoint, 2000));
    struct rlimit saved, low;
    assert_int_equal (getrlimit (RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = saved.rlim_max < 256? saved.rlim_max: 256;
    assert_int_equal (setrlimit (RLIMIT_NOFILE, &low), 0);
    int held [256];
    size_t count = 0;
    while (count < 256 && (held [count] = open ("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        count++;
    assert_int_equal (errno, EMFILE);

    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "status";
    zlistx_t *replies = fsh_ctl_replies_new ();
    fsh_ctl_result_t exchanged = fsh_ctl_exchange (endpoint, &request, 2000, replies);
    fsh_ctl_result_t probed = FSH_CTL_OK;
    Fshare__CtlReply *status = fsh_ctl_probe_why (endpoint, 300, &probed);

    for (size_t i = 0; i < count; i++)
        close (held [i]);
    assert_int_equal (setrlimit (RLIMIT_NOFILE, &saved), 0);
    assert_int_equal (exchanged, FSH_CTL_NO_FDS);
    assert_int_equal (probed, FSH_CTL_NO_FDS);
    assert_null (status);
    zlistx_destroy (&replies);
    //  And with descriptors back, the agent answers again
    status = fsh_ctl_probe_why (endpoint, 2000, &probed);
    assert_non_null (status);
    assert_int_equal (probed, FSH_CTL_OK);
    fsh_ctl_reply_free (&status);
    zstr_free (&endpoint);
    zactor_destroy (&agent);
}

//  The listener's pid from its ipc socket: this process's, for a socket
//  it binds; none for a path nobody listens on, or an endpoint not ipc.
static void
test_endpoint_pid (void **state)
{
    (void) state;
    char dir [] = "/tmp/fshare-test-ctlpid-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char *endpoint = zsys_sprintf ("ipc://%s/x.ctl", dir);
    assert_int_equal (fsh_ctl_endpoint_pid (endpoint), 0);
    zsock_t *router = zsock_new_router (endpoint);
    assert_non_null (router);
    assert_int_equal (fsh_ctl_endpoint_pid (endpoint), getpid ());
    zsock_destroy (&router);        //  closed by libzmq's I/O thread, later
    assert_int_equal (fsh_ctl_endpoint_pid ("tcp://127.0.0.1:1"), 0);
    assert_int_equal (fsh_ctl_endpoint_pid (NULL), 0);
    char *path = zsys_sprintf ("%s/x.ctl", dir);
    unlink (path);
    assert_int_equal (rmdir (dir), 0);
    zstr_free (&path);
    zstr_free (&endpoint);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_no_agent),
        cmocka_unit_test (test_only_agent_and_pages),
        cmocka_unit_test (test_stream),
        cmocka_unit_test (test_replies_bounded),
        cmocka_unit_test (test_codes),
        cmocka_unit_test (test_out_of_descriptors),
        cmocka_unit_test (test_endpoint_pid),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
