/*  test_commands.c - what the agent's control commands mean
    (peer/commands.c), with a real control socket and a ctl DEALER, a host
    directory of two files, a view loaded from one snapshot page and a
    link without sockets put in each state by hand: the commands that run
    at once (status, ls, ping, unknown ones refused), those that need the
    view (ls --all, peers) and the session (get), which wait while the link
    logs in again with a broker that answers and fail at once when no
    broker answers; parked commands run when the link comes online, fail
    when it is lost, and are cancelled when the agent stops; disconnect
    once, answered when the agent has stopped.
*/
#include "fixture.h"
#include "commands.h"
#include "link_int.h"
#include <sys/stat.h>

typedef struct {
    char dir [64];
    char root [96];
    char endpoint [128];
    control_t *control;
    zsock_t *ctl;
    fileset_t *files;           //  what the link publishes (unused here)
    view_t *view;
    link_t *link;
    hostdir_t *hostdir;
    commands_t *commands;
    int stops;
} bench_t;

static int
s_stop (void *arg)
{
    ((bench_t *) arg)->stops++;
    return 0;
}

//  A synced view: alice (us, two files) and bob (three).
static void
s_load_view (view_t *view)
{
    Fshare__FileInfo infos [5];
    Fshare__FileInfo *alice_files [2], *bob_files [3];
    const char *paths [5] = { "a.txt", "b.txt", "x/1.bin", "x/2.bin", "y.txt" };
    for (int i = 0; i < 5; i++) {
        fshare__file_info__init (&infos [i]);
        infos [i].path = (char *) paths [i];
        infos [i].size = 10;
        infos [i].mtime = 1;
    }
    alice_files [0] = &infos [0];
    alice_files [1] = &infos [1];
    for (int i = 0; i < 3; i++)
        bob_files [i] = &infos [2 + i];
    Fshare__UserFiles users [2];
    Fshare__UserFiles *list [2] = { &users [0], &users [1] };
    fshare__user_files__init (&users [0]);
    users [0].user = "alice";
    users [0].since = 100;
    users [0].files = alice_files;
    users [0].n_files = 2;
    fshare__user_files__init (&users [1]);
    users [1].user = "bob";
    users [1].since = 200;
    users [1].files = bob_files;
    users [1].n_files = 3;
    Fshare__SnapshotPage page = FSHARE__SNAPSHOT_PAGE__INIT;
    page.broker = "b1";
    page.seq = 9;
    page.users = list;
    page.n_users = 2;
    view_snapshot_begin (view);
    assert_int_equal (view_snapshot_page (view, &page), 1);
}

static int
s_setup (void **state)
{
    bench_t *fx = (bench_t *) zmalloc (sizeof (bench_t));
    fixture_tmpdir (fx->dir, sizeof fx->dir, "commands");
    snprintf (fx->root, sizeof fx->root, "%s/files", fx->dir);
    snprintf (fx->endpoint, sizeof fx->endpoint, "ipc://%s/ctl", fx->dir);
    assert_int_equal (mkdir (fx->root, 0755), 0);
    char *path = zsys_sprintf ("%s/mine.txt", fx->root);
    fixture_write (path, "mine\n");
    zstr_free (&path);
    path = zsys_sprintf ("%s/other.log", fx->root);
    fixture_write (path, "log\n");
    zstr_free (&path);
    fixture_control_open (fx->endpoint, &fx->control, &fx->ctl);
    fx->files = fileset_new ();
    fx->view = view_new ();
    s_load_view (fx->view);
    fx->link = fixture_link_new (fx->files, fx->view, NULL, NULL);
    fx->hostdir = hostdir_new (fx->root, NULL);
    assert_non_null (fx->hostdir);
    commands_config_t config = {
        .user = "alice", .dir = fx->root, .downloads = fx->dir, .broker = "ipc://broker",
        .control = fx->control, .link = fx->link, .view = fx->view, .hostdir = fx->hostdir,
        .stop = s_stop, .arg = fx
    };
    fx->commands = commands_new (NULL, &config);
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    bench_t *fx = (bench_t *) *state;
    commands_destroy (&fx->commands);
    assert_null (fx->commands);
    hostdir_destroy (&fx->hostdir);
    link_destroy (&fx->link);
    view_destroy (&fx->view);
    fileset_destroy (&fx->files);
    zsock_destroy (&fx->ctl);
    control_destroy (&fx->control);
    fixture_rm_rf (fx->dir);
    free (fx);
    return 0;
}

//  --------------------------------------------------------------------------

//  The ctl sends a request; the commands handle it as the agent would.
static int
s_send (bench_t *fx, Fshare__CtlRequest *request)
{
    assert_int_equal (fsh_pack_send (&request->base, fx->ctl, NULL), 0);
    control_request_t *received = control_recv (fx->control);
    assert_non_null (received);
    return commands_handle (fx->commands, &received);
}

static int
s_command (bench_t *fx, const char *name)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = (char *) name;
    return s_send (fx, &request);
}

static void
s_reply_free (Fshare__CtlReply **reply_p)
{
    fshare__ctl_reply__free_unpacked (*reply_p, NULL);
    *reply_p = NULL;
}

static void
s_expect_error (bench_t *fx, fsh_err_t code)
{
    Fshare__CtlReply *reply = fixture_ctl_recv (fx->ctl);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_int_equal (reply->code, code);
    s_reply_free (&reply);
}

//  No reply waits: a ping now is answered first.
static void
s_expect_nothing (bench_t *fx)
{
    assert_int_equal (s_command (fx, "ping"), 0);
    Fshare__CtlReply *reply = fixture_ctl_recv (fx->ctl);
    assert_int_not_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    if (!reply->text || !streq (reply->text, "pong"))
        fail_msg ("a reply was waiting before the pong");
    s_reply_free (&reply);
}

//  The file list of an ls, over every page: "user:path" joined by spaces.
static char *
s_listing (bench_t *fx)
{
    char *listing = strdup ("");
    bool more = true;
    while (more) {
        Fshare__CtlReply *reply = fixture_ctl_recv (fx->ctl);
        assert_int_not_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
        for (size_t i = 0; i < reply->n_files; i++) {
            char *longer = zsys_sprintf ("%s%s%s:%s", listing, *listing? " ": "",
                                         reply->files [i]->user, reply->files [i]->file->path);
            free (listing);
            listing = longer;
        }
        more = reply->more;
        s_reply_free (&reply);
    }
    return listing;
}

static void
s_ls (bench_t *fx, bool all, const char *user, const char *glob)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "ls";
    request.all = all;
    request.user = (char *) (user? user: "");
    request.glob = (char *) (glob? glob: "");
    assert_int_equal (s_send (fx, &request), 0);
}

//  --------------------------------------------------------------------------

//  What needs nothing runs at once, whatever the link's state.
static void
test_at_once (void **state)
{
    bench_t *fx = (bench_t *) *state;
    assert_int_equal (link_state (fx->link), LINK_DOWN);
    assert_int_equal (s_command (fx, "status"), 0);
    Fshare__CtlReply *reply = fixture_ctl_recv (fx->ctl);
    assert_non_null (reply->agent);
    assert_string_equal (reply->agent->user, "alice");
    assert_string_equal (reply->agent->state, link_state_name (fx->link));
    assert_string_equal (reply->agent->broker, "ipc://broker");
    assert_int_equal (reply->agent->my_files, 2);
    assert_int_equal (reply->agent->peers, 1);
    assert_int_equal (reply->agent->other_files, 3);
    assert_int_equal (reply->agent->pid, getpid ());
    assert_string_equal (reply->agent->events, "");
    assert_string_equal (reply->agent->dir, fx->root);
    s_reply_free (&reply);
    commands_set_events (fx->commands, "ipc://events");
    assert_int_equal (s_command (fx, "status"), 0);
    reply = fixture_ctl_recv (fx->ctl);
    assert_string_equal (reply->agent->events, "ipc://events");
    s_reply_free (&reply);

    //  Our own files come from the host directory, not the view
    s_ls (fx, false, NULL, NULL);
    char *listing = s_listing (fx);
    assert_string_equal (listing, "alice:mine.txt alice:other.log");
    zstr_free (&listing);
    s_ls (fx, false, NULL, "*.txt");
    listing = s_listing (fx);
    assert_string_equal (listing, "alice:mine.txt");
    zstr_free (&listing);
    s_ls (fx, false, NULL, "\xff\xfe");
    s_expect_error (fx, FSH_ERR_BAD_REQUEST);

    assert_int_equal (s_command (fx, "no-such-command"), 0);
    reply = fixture_ctl_recv (fx->ctl);
    assert_int_equal (reply->code, FSH_ERR_BAD_REQUEST);
    assert_string_equal (reply->error, "unknown command 'no-such-command'");
    s_reply_free (&reply);
    s_expect_nothing (fx);
}

//  With the link online, the view's commands run at once.
static void
test_view_online (void **state)
{
    bench_t *fx = (bench_t *) *state;
    link_force_state (fx->link, LINK_ONLINE, 0);
    s_ls (fx, true, NULL, NULL);
    char *listing = s_listing (fx);
    assert_string_equal (listing, "alice:a.txt alice:b.txt bob:x/1.bin bob:x/2.bin bob:y.txt");
    zstr_free (&listing);
    s_ls (fx, true, "bob", "x/*");
    listing = s_listing (fx);
    assert_string_equal (listing, "bob:x/1.bin bob:x/2.bin");
    zstr_free (&listing);
    s_ls (fx, true, "carol", NULL);
    s_expect_error (fx, FSH_ERR_UNKNOWN_USER);
    s_ls (fx, true, "../bad", NULL);
    s_expect_error (fx, FSH_ERR_UNKNOWN_USER);

    assert_int_equal (s_command (fx, "peers"), 0);
    Fshare__CtlReply *reply = fixture_ctl_recv (fx->ctl);
    assert_int_equal (reply->n_peers, 2);
    assert_string_equal (reply->peers [0]->user, "alice");
    assert_int_equal (reply->peers [0]->files, 2);
    assert_string_equal (reply->peers [1]->user, "bob");
    assert_int_equal (reply->peers [1]->files, 3);
    assert_int_equal (reply->peers [1]->since, 200);
    s_reply_free (&reply);
}

//  No broker answers: what needs it fails at once, broker_unreachable.
static void
test_unreachable (void **state)
{
    bench_t *fx = (bench_t *) *state;
    link_state_t states [] = { LINK_DOWN, LINK_LOGGING_IN, LINK_LOADING };
    for (size_t i = 0; i < sizeof states / sizeof states [0]; i++) {
        link_force_state (fx->link, states [i], 0);
        assert_false (link_reachable (fx->link));
        s_ls (fx, true, NULL, NULL);
        s_expect_error (fx, FSH_ERR_BROKER_UNREACHABLE);
        assert_int_equal (s_command (fx, "peers"), 0);
        s_expect_error (fx, FSH_ERR_BROKER_UNREACHABLE);
        assert_int_equal (s_command (fx, "get"), 0);
        s_expect_error (fx, FSH_ERR_BROKER_UNREACHABLE);
    }
    s_expect_nothing (fx);
}

//  Logging in again with a broker that answers: the command waits, and
//  runs when the link is online; another waits, and fails when the
//  broker is lost for good.
static void
test_parked (void **state)
{
    bench_t *fx = (bench_t *) *state;
    link_force_state (fx->link, LINK_LOGGING_IN, 0);
    fx->link->heard_at = zclock_mono ();
    assert_true (link_relogging (fx->link));
    assert_int_equal (s_command (fx, "peers"), 0);
    s_ls (fx, true, "bob", NULL);
    s_expect_nothing (fx);
    //  A change that is not online yet: still waiting
    link_force_state (fx->link, LINK_LOADING, 0);
    commands_link_changed (fx->commands);
    s_expect_nothing (fx);
    link_force_state (fx->link, LINK_ONLINE, 0);
    commands_link_changed (fx->commands);
    Fshare__CtlReply *reply = fixture_ctl_recv (fx->ctl);
    assert_int_equal (reply->n_peers, 2);
    s_reply_free (&reply);
    char *listing = s_listing (fx);
    assert_string_equal (listing, "bob:x/1.bin bob:x/2.bin bob:y.txt");
    zstr_free (&listing);
    s_expect_nothing (fx);

    //  Parked, then the broker goes silent: failed
    link_force_state (fx->link, LINK_LOGGING_IN, 0);
    assert_int_equal (s_command (fx, "peers"), 0);
    s_expect_nothing (fx);
    fx->link->heard_at = 0;
    link_force_state (fx->link, LINK_DOWN, 0);
    commands_link_changed (fx->commands);
    s_expect_error (fx, FSH_ERR_BROKER_UNREACHABLE);

    //  "get" waits for a proof that the broker still knows our session,
    //  not only for the link to be online
    link_force_state (fx->link, LINK_ONLINE, 0);
    fx->link->heard_at = zclock_mono ();
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    request.command = "get";
    assert_int_equal (s_send (fx, &request), 0);
    commands_link_changed (fx->commands);
    s_expect_nothing (fx);
    //  The agent stops: every waiting command is cancelled
    assert_false (commands_stopped (fx->commands, true));
    reply = fixture_ctl_recv (fx->ctl);
    assert_int_equal (reply->code, FSH_ERR_CANCELLED);
    assert_string_equal (reply->error, "the agent is stopping");
    s_reply_free (&reply);
    s_expect_nothing (fx);
}

//  "disconnect" asks the agent to stop, once; its answer comes when the
//  agent has stopped: confirmed or not.
static void
test_disconnect (void **state)
{
    bench_t *fx = (bench_t *) *state;
    link_force_state (fx->link, LINK_ONLINE, 0);
    assert_int_equal (s_command (fx, "disconnect"), 0);
    assert_int_equal (fx->stops, 1);
    assert_int_equal (s_command (fx, "disconnect"), 0);
    Fshare__CtlReply *reply = fixture_ctl_recv (fx->ctl);
    assert_int_equal (reply->code, FSH_ERR_BAD_REQUEST);
    assert_string_equal (reply->error, "already stopping");
    s_reply_free (&reply);
    assert_int_equal (fx->stops, 1);
    assert_true (commands_stopped (fx->commands, true));
    reply = fixture_ctl_recv (fx->ctl);
    assert_int_not_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->text, "logged out");
    s_reply_free (&reply);
    //  Answered once
    assert_false (commands_stopped (fx->commands, true));

    //  Stopping already: refused at once
    link_force_state (fx->link, LINK_STOPPING, 0);
    assert_int_equal (s_command (fx, "disconnect"), 0);
    s_expect_error (fx, FSH_ERR_BAD_REQUEST);

    //  Not confirmed: said so
    link_force_state (fx->link, LINK_ONLINE, 0);
    assert_int_equal (s_command (fx, "disconnect"), 0);
    assert_int_equal (fx->stops, 2);
    assert_true (commands_stopped (fx->commands, false));
    reply = fixture_ctl_recv (fx->ctl);
    assert_int_equal (reply->code, FSH_ERR_BROKER_UNREACHABLE);
    s_reply_free (&reply);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_at_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_view_online, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unreachable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_parked, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_disconnect, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
