/*  test_agent.c - the agent actor in one process with a broker actor: the
    pipe protocol (ONLINE, FAILED, ERROR, STOPPED), the control protocol
    spoken directly on a DEALER, live changes, and a broker restart.
    Everything on ipc endpoints in a temporary directory.
*/
#define DEADLINE_MS 10000
#include "fixture.h"

//  --- Helpers ----------------------------------------------------------------------

//  login_queue: logins the broker holds per address (0: its default)
static void
s_broker_start_queue (fixture_t *fx, int login_queue)
{
    broker_config_t config = fixture_broker_config (fx);
    config.heartbeat_ms = 200;
    config.login_queue = login_queue;
    fixture_broker_start (fx, &config);
}

static void
s_broker_start (fixture_t *fx)
{
    s_broker_start_queue (fx, 0);
}

static int
s_setup (void **state)
{
    fixture_t *fx = fixture_new ("agent");
    s_broker_start (fx);
    *state = fx;
    return 0;
}

static void
s_reply_free (Fshare__CtlReply **reply_p)
{
    fshare__ctl_reply__free_unpacked (*reply_p, NULL);
    *reply_p = NULL;
}

static void
s_ctl_send (zsock_t *ctl, const char *command, bool all, const char *user, const char *glob)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = (char *) command;
    request.all = all;
    request.user = (char *) (user? user: "");
    request.glob = (char *) (glob? glob: "");
    assert_int_equal (fsh_pack_send (&request.base, ctl, NULL), 0);
}

static Fshare__CtlReply *
s_ctl_call (zsock_t *ctl, const char *command)
{
    s_ctl_send (ctl, command, false, NULL, NULL);
    return fixture_ctl_recv (ctl);
}

//  "user:path,user:path" for an ls, over all its pages; NULL on an error
static char *
s_ls (zsock_t *ctl, bool all, const char *user, const char *glob)
{
    s_ctl_send (ctl, "ls", all, user, glob);
    char *text = strdup ("");
    bool more = true;
    while (more) {
        Fshare__CtlReply *reply = fixture_ctl_recv (ctl);
        if (reply->status == FSHARE__STATUS__STATUS_ERROR) {
            s_reply_free (&reply);
            zstr_free (&text);
            return NULL;
        }
        for (size_t i = 0; i < reply->n_files; i++) {
            char *longer = zsys_sprintf ("%s%s%s:%s", text, *text? ",": "",
                                         reply->files [i]->user, reply->files [i]->file->path);
            free (text);
            text = longer;
        }
        more = reply->more;
        s_reply_free (&reply);
    }
    return text;
}

static char *
s_state (zsock_t *ctl)
{
    Fshare__CtlReply *reply = s_ctl_call (ctl, "status");
    assert_non_null (reply->agent);
    char *state = strdup (reply->agent->state);
    s_reply_free (&reply);
    return state;
}

//  Poll `ls --all` until it equals `expected` or the deadline passes.
static void
s_wait_view (zsock_t *ctl, const char *expected)
{
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    char *text = NULL;
    while (zclock_mono () < deadline) {
        zstr_free (&text);
        text = s_ls (ctl, true, NULL, NULL);
        if (text && streq (text, expected))
            break;
        zclock_sleep (20);
    }
    if (!text || strneq (text, expected))
        fail_msg ("view is '%s', expected '%s'", text? text: "(error)", expected);
    zstr_free (&text);
}

static void
s_wait_state (zsock_t *ctl, const char *expected)
{
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    char *state = NULL;
    while (zclock_mono () < deadline) {
        zstr_free (&state);
        state = s_state (ctl);
        if (streq (state, expected))
            break;
        zclock_sleep (20);
    }
    if (strneq (state, expected))
        fail_msg ("state is '%s', expected '%s'", state, expected);
    zstr_free (&state);
}

static void
s_write (fixture_t *fx, const char *user, const char *path, const char *text)
{
    char *root = zsys_sprintf ("%s/%s_files", fx->dir, user);
    assert_int_equal (fsh_mkdirs (root, 0755), 0);
    zstr_free (&root);
    char *name = zsys_sprintf ("%s/%s_files/%s", fx->dir, user, path);
    FILE *file = fopen (name, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
    zstr_free (&name);
}

//  --- Tests --------------------------------------------------------------------------

static void
test_two_agents_share (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char *dir = zsys_sprintf ("%s/alice_files/docs", fx->dir);
    assert_int_equal (fsh_mkdirs (dir, 0755), 0);
    zstr_free (&dir);
    s_write (fx, "alice", "docs/a.pdf", "pdf");
    s_write (fx, "alice", "b.txt", "text");

    zactor_t *alice = fixture_agent_new (fx, "alice", "pw-a", NULL);
    zactor_t *bob = fixture_agent_new (fx, "bob", "pw-b", NULL);
    fixture_expect_word (alice, "ONLINE");
    fixture_expect_word (bob, "ONLINE");
    zsock_t *ctl = fixture_ctl_connect (fx, "bob");
    s_wait_view (ctl, "alice:b.txt,alice:docs/a.pdf");

    //  Glob (matched as get matches: '*' stays within a directory), one
    //  user, an unknown user, my own files
    char *text = s_ls (ctl, true, NULL, "docs/*.pdf");
    assert_string_equal (text, "alice:docs/a.pdf");
    zstr_free (&text);
    text = s_ls (ctl, true, NULL, "*.pdf");
    assert_string_equal (text, "");
    zstr_free (&text);
    text = s_ls (ctl, true, "alice", NULL);
    assert_string_equal (text, "alice:b.txt,alice:docs/a.pdf");
    zstr_free (&text);
    assert_null (s_ls (ctl, true, "nobody", NULL));
    text = s_ls (ctl, false, NULL, NULL);
    assert_string_equal (text, "");
    zstr_free (&text);

    //  peers and status
    Fshare__CtlReply *reply = s_ctl_call (ctl, "peers");
    assert_int_equal (reply->n_peers, 2);
    assert_string_equal (reply->peers [0]->user, "alice");
    assert_int_equal (reply->peers [0]->files, 2);
    assert_string_equal (reply->peers [1]->user, "bob");
    s_reply_free (&reply);
    reply = s_ctl_call (ctl, "status");
    assert_string_equal (reply->agent->user, "bob");
    assert_string_equal (reply->agent->state, "online");
    assert_int_equal (reply->agent->peers, 1);
    assert_int_equal (reply->agent->other_files, 2);
    assert_int_equal (reply->agent->pid, getpid ());
    s_reply_free (&reply);

    //  Unknown command; a malformed frame is answered bad_request, and the
    //  next one as usual
    reply = s_ctl_call (ctl, "fly");
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->error, "unknown command 'fly'");
    s_reply_free (&reply);
    zstr_send (ctl, "\xff\xff not protobuf");
    reply = fixture_ctl_recv (ctl);
    assert_non_null (reply);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_int_equal (reply->code, FSH_ERR_BAD_REQUEST);
    s_reply_free (&reply);
    reply = s_ctl_call (ctl, "ping");
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_OK);
    s_reply_free (&reply);

    //  Events stream: acknowledged, then the change arrives
    zsock_t *events = fixture_ctl_connect (fx, "bob");
    reply = s_ctl_call (events, "events");
    assert_true (reply->more);
    assert_null (reply->event);
    s_reply_free (&reply);
    s_write (fx, "alice", "new.txt", "new");
    s_wait_view (ctl, "alice:b.txt,alice:docs/a.pdf,alice:new.txt");
    bool seen = false;
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (!seen) {
        assert_true (zclock_mono () < deadline);
        reply = fixture_ctl_recv (events);
        assert_true (reply->more);
        seen = reply->event && reply->event->type == FSHARE__EVENT_TYPE__EVENT_FILE_ADDED
            && streq (reply->event->file->path, "new.txt");
        s_reply_free (&reply);
    }
    zsock_destroy (&events);

    //  alice disconnects through her control socket
    zsock_t *alice_ctl = fixture_ctl_connect (fx, "alice");
    reply = s_ctl_call (alice_ctl, "disconnect");
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_OK);
    s_reply_free (&reply);
    fixture_expect_word (alice, "STOPPED");
    zactor_destroy (&alice);
    zsock_destroy (&alice_ctl);
    s_wait_view (ctl, "");

    zsock_destroy (&ctl);
    zactor_destroy (&bob);
}

static void
test_refused_login (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    zactor_t *agent = fixture_agent_new (fx, "carol", "right", NULL);
    fixture_expect_word (agent, "ONLINE");
    //  A twin on another control endpoint: the broker refuses it
    char *control = zsys_sprintf ("ipc://%s/twin.ctl", fx->dir);
    agent_config_t config = {
        .user = "carol", .password = "right", .dir = fx->dir, .downloads = fx->dir,
        .broker = fx->listen, .control = control
    };
    zactor_t *twin = zactor_new (agent_actor, &config);
    fixture_expect_word (twin, "FAILED already_logged_in already logged in");
    zactor_destroy (&twin);
    zstr_free (&control);
    zactor_destroy (&agent);        //  logs out

    agent = fixture_agent_new (fx, "carol", "wrong", NULL);
    fixture_expect_word (agent, "FAILED invalid_credentials invalid user or password");
    zactor_destroy (&agent);
}

static void
test_setup_errors (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    zactor_t *agent = fixture_agent_new (fx, "dave", "pw", NULL);
    fixture_expect_word (agent, "ONLINE");
    //  Same control endpoint: refused, not taken over
    zactor_t *twin = fixture_agent_new (fx, "dave", "pw", NULL);
    fixture_expect_word (twin, "ERROR control endpoint");
    zactor_destroy (&twin);
    zsock_t *ctl = fixture_ctl_connect (fx, "dave");
    s_wait_state (ctl, "online");
    zsock_destroy (&ctl);
    zactor_destroy (&agent);

    //  Not a local broker: no password goes there
    agent = fixture_agent_new (fx, "dave", "pw", "tcp://192.0.2.1:5555");
    fixture_expect_word (agent, "ERROR refusing to send a password unencrypted");
    zactor_destroy (&agent);
}

static void
test_broker_restart (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_write (fx, "erin", "e.txt", "e");
    zactor_t *erin = fixture_agent_new (fx, "erin", "pw", NULL);
    zactor_t *frank = fixture_agent_new (fx, "frank", "pw", NULL);
    fixture_expect_word (erin, "ONLINE");
    fixture_expect_word (frank, "ONLINE");
    zsock_t *ctl = fixture_ctl_connect (fx, "frank");
    s_wait_view (ctl, "erin:e.txt");
    Fshare__CtlReply *reply = s_ctl_call (ctl, "status");
    char *first = strdup (reply->agent->broker_id);
    s_reply_free (&reply);

    zactor_destroy (&fx->broker);
    s_wait_state (ctl, "reconnecting");
    reply = s_ctl_call (ctl, "peers");
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->error, "broker unreachable");
    s_reply_free (&reply);
    s_write (fx, "erin", "offline.txt", "o");

    s_broker_start (fx);
    s_wait_state (ctl, "online");
    s_wait_view (ctl, "erin:e.txt,erin:offline.txt");
    reply = s_ctl_call (ctl, "status");
    assert_string_not_equal (reply->agent->broker_id, first);
    s_reply_free (&reply);
    free (first);
    //  No second ONLINE: the owner heard about the first login only
    char *word = fixture_word (erin, 0);
    assert_null (word);
    zsock_destroy (&ctl);
    zactor_destroy (&erin);
    zactor_destroy (&frank);
}

//  What a resync finds changed reaches the events stream: erin leaves
//  while the broker is down, so the new broker never announces it; frank's
//  view learns it from the snapshot, and so must his events stream.
static void
test_resync_told (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    zactor_t *erin = fixture_agent_new (fx, "erin", "pw", NULL);
    zactor_t *frank = fixture_agent_new (fx, "frank", "pw", NULL);
    fixture_expect_word (erin, "ONLINE");
    fixture_expect_word (frank, "ONLINE");
    zsock_t *ctl = fixture_ctl_connect (fx, "frank");
    Fshare__CtlReply *reply = s_ctl_call (ctl, "peers");
    assert_int_equal (reply->n_peers, 2);
    s_reply_free (&reply);
    zsock_t *events = fixture_ctl_connect (fx, "frank");
    reply = s_ctl_call (events, "events");
    assert_true (reply->more);
    s_reply_free (&reply);

    zactor_destroy (&fx->broker);
    s_wait_state (ctl, "reconnecting");
    zactor_destroy (&erin);
    s_broker_start (fx);
    s_wait_state (ctl, "online");
    bool told = false;
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (!told) {
        assert_true (zclock_mono () < deadline);
        reply = fixture_ctl_recv (events);
        assert_non_null (reply);
        told = reply->event && reply->event->type == FSHARE__EVENT_TYPE__EVENT_LEAVE
            && streq (reply->event->user, "erin");
        if (told)
            assert_true (reply->resynced);
        s_reply_free (&reply);
    }
    zsock_destroy (&events);
    zsock_destroy (&ctl);
    zactor_destroy (&frank);
}

//  More agents log in at once from one address than the broker will hold
//  (a restart behind a NAT): those told "busy" try again later, and every
//  one gets in; none gives up as if its password were wrong.
static void
test_busy_broker (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    zactor_destroy (&fx->broker);
    s_broker_start_queue (fx, 1);
    //  Wrong guesses from this address first, all at once: the first
    //  fails and slows the address, the second waits in the lobby (one
    //  place per address here), the third is told busy. While the second
    //  waits, the agents' logins find the lobby full too.
    client_t *guesser = client_new (fx, NULL);
    char *error = client_login (guesser, "target", "right");
    assert_null (error);
    Fshare__Login guess = client_login_body ("target", "wrong", false);
    for (int i = 0; i < 3; i++)
        client_send_login (guesser, &guess);
    bool guess_busy = false;
    while (!guess_busy) {
        Fshare__Message *reply = client_recv (guesser);
        guess_busy = fsh_msg_error_code (reply, FSH_ERR_NONE) == FSH_ERR_BUSY;
        fsh_msg_destroy (&reply);
    }
    FILE *log = fixture_log_begin ();
    zactor_t *agents [8];
    for (int i = 0; i < 8; i++) {
        char user [16];
        snprintf (user, sizeof user, "crowd%d", i);
        agents [i] = fixture_agent_new (fx, user, "pw", NULL);
    }
    for (int i = 0; i < 8; i++)
        fixture_expect_word (agents [i], "ONLINE");
    //  The case under test happened: some login was answered busy
    bool busy = fixture_log_has (log, "too many logins waiting");
    fixture_log_end (&log);
    assert_true (busy);
    for (int i = 0; i < 8; i++)
        zactor_destroy (&agents [i]);
    client_destroy (&guesser);
}

//  A stand-in broker answers the first login "busy", the next "already
//  logged in": the busy answer is not the first reply to our login, so
//  the second is the final refusal it would have been first time.
static void
test_busy_then_refused (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char *endpoint = zsys_sprintf ("ipc://%s/standin.req", fx->dir);
    zsock_t *router = zsock_new_router (endpoint);
    assert_non_null (router);
    zactor_t *agent = fixture_agent_new (fx, "hank", "pw", endpoint);
    zpoller_t *poller = zpoller_new (router, agent, NULL);
    const fsh_err_t answers [] = { FSH_ERR_BUSY, FSH_ERR_ALREADY_LOGGED_IN };
    int logins = 0;
    char *word = NULL;
    int64_t deadline = zclock_mono () + DEADLINE_MS;
    while (!word && zclock_mono () < deadline) {
        void *which = zpoller_wait (poller, 100);
        if (which == agent) {
            word = zstr_recv (agent);
            break;
        }
        if (which != router)
            continue;
        zframe_t *routing_id = zframe_recv (router);
        zframe_t *body = zframe_recv (router);
        Fshare__Message *msg = fsh_msg_decode (zframe_data (body), zframe_size (body));
        assert_non_null (msg);
        Fshare__Message reply = FSHARE__MESSAGE__INIT;
        reply.id = msg->id;
        reply.status = FSHARE__STATUS__STATUS_ERROR;
        fsh_msg_set_error (&reply, msg->id, FSH_ERR_UNKNOWN_SESSION, NULL);   //  probe pings
        if (msg->body_case == FSHARE__MESSAGE__BODY_LOGIN) {
            assert_true (logins < 2);
            fsh_msg_set_error (&reply, msg->id, answers [logins++], NULL);
        }
        assert_int_equal (fsh_msg_send_to (&reply, router, routing_id), 0);
        fsh_msg_destroy (&msg);
        zframe_destroy (&body);
        zframe_destroy (&routing_id);
    }
    assert_int_equal (logins, 2);
    assert_non_null (word);
    assert_string_equal (word, "FAILED already_logged_in already logged in");
    zstr_free (&word);
    zpoller_destroy (&poller);
    zactor_destroy (&agent);
    zsock_destroy (&router);
    zstr_free (&endpoint);
}

static void
test_unreachable_broker (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char *nowhere = zsys_sprintf ("ipc://%s/nobody.req", fx->dir);
    zactor_t *agent = fixture_agent_new (fx, "gina", "pw", nowhere);
    zstr_free (&nowhere);
    zsock_t *ctl = fixture_ctl_connect (fx, "gina");
    s_wait_state (ctl, "connecting");
    Fshare__CtlReply *reply = s_ctl_call (ctl, "peers");
    assert_string_equal (reply->error, "broker unreachable");
    s_reply_free (&reply);
    //  Own files need no broker
    char *text = s_ls (ctl, false, NULL, NULL);
    assert_string_equal (text, "");
    zstr_free (&text);
    //  disconnect without a broker: stops anyway, says so
    reply = s_ctl_call (ctl, "disconnect");
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->error, "broker unreachable; stopped anyway");
    s_reply_free (&reply);
    fixture_expect_word (agent, "STOPPED");
    zsock_destroy (&ctl);
    zactor_destroy (&agent);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_two_agents_share, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_refused_login, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_setup_errors, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_broker_restart, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_resync_told, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_busy_broker, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_busy_then_refused, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_unreachable_broker, s_setup, fixture_teardown),
    };
    zsys_init ();
    zsys_set_logstream (stderr);
    return cmocka_run_group_tests (tests, NULL, NULL);
}
