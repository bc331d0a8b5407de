/*  test_broker.c - the broker actor in-process, driven by a raw protocol
    client: login rules, the sequenced event stream, snapshots, expiry of
    silent peers. The request socket's own rules (garbage on it, the
    dispatch table) are in test_requests.c.
*/
#include "fixture.h"
#include "view.h"
#include "login.h"
#include <sys/stat.h>
#include <sodium.h>

//  --------------------------------------------------------------------------
//  Fixture: a broker on ipc endpoints in a temp dir, started by each test

static void
s_start_broker (fixture_t *fx, int registration)
{
    broker_config_t config = fixture_broker_config (fx);
    config.registration = registration;
    config.heartbeat_ms = 100;
    config.liveness = 3;
    config.stats_ms = 200;
    fixture_broker_start (fx, &config);
}

static int
s_setup (void **state)
{
    *state = fixture_new ("broker");
    return 0;
}

//  --------------------------------------------------------------------------
//  Raw client steps

//  Publish `count` files named like "dir<i%7>/sub/file<i>.txt" in pages.
static void
s_publish (client_t *client, size_t count, size_t page_size)
{
    size_t sent = 0;
    do {
        size_t n = count - sent < page_size? count - sent: page_size;
        Fshare__FileInfo *infos = (Fshare__FileInfo *) calloc (n + 1, sizeof (Fshare__FileInfo));
        Fshare__FileInfo **pointers = (Fshare__FileInfo **) calloc (n + 1, sizeof (void *));
        for (size_t i = 0; i < n; i++) {
            fshare__file_info__init (&infos [i]);
            infos [i].path = zsys_sprintf ("dir%zu/sub/file%zu.txt", (sent + i) % 7, sent + i);
            infos [i].size = sent + i;
            infos [i].mtime = 1700000000 + (int64_t) (sent + i);
            pointers [i] = &infos [i];
        }
        client_publish_page (client, pointers, n, sent + n < count);
        for (size_t i = 0; i < n; i++)
            free (infos [i].path);
        free (infos);
        free (pointers);
        sent += n;
    } while (sent < count);
    Fshare__Message *reply = client_recv (client);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_OK);
    assert_int_equal (reply->body_case, FSHARE__MESSAGE__BODY_PUBLISH_OK);
    fsh_msg_destroy (&reply);
}

static void
s_change (client_t *client, Fshare__ChangeKind kind, const char *path, const char *from,
          uint64_t size)
{
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = (char *) path;
    file.size = size;
    file.mtime = 1700000000;
    Fshare__Change change = FSHARE__CHANGE__INIT;
    change.kind = kind;
    change.file = &file;
    change.from = (char *) (from? from: "");
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.body_case = FSHARE__MESSAGE__BODY_CHANGE;
    msg.change = &change;
    client_send (client, &msg);
}

//  Next event that is not a stats event, with a deadline.
static Fshare__Event *
s_next_event (zsock_t *sub)
{
    Fshare__Event *event = fixture_event (sub, DEADLINE_MS, false);
    assert_non_null (event);
    return event;
}

//  A subscriber only receives once its subscription reached the broker:
//  wait for the first stats event to be sure.
static void
s_sync_subscriber (zsock_t *sub)
{
    assert_true (fixture_gets_events (sub, DEADLINE_MS));
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_login_rules (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1);
    client_t *alice = client_new (fx, NULL);
    assert_null (client_login (alice, "alice", "secret"));

    client_t *again = client_new (fx, NULL);
    char *error = client_login (again, "alice", "secret");
    assert_string_equal (error, "already logged in");
    zstr_free (&error);
    Fshare__Login future = client_login_body ("bob", "pw", false);
    future.version = FSH_PROTOCOL_VERSION + 7;
    error = client_login_with (again, &future);
    assert_string_equal (error, "unsupported protocol version");
    zstr_free (&error);
    //  Protocol 2 returns no receipts with its credit: this broker would
    //  forward one window of it and no more, and every download of such an
    //  agent beyond 16 MiB would stall. It is told so at login instead.
    Fshare__Login before = client_login_body ("bob", "pw", false);
    before.version = 2;
    error = client_login_with (again, &before);
    assert_non_null (error);
    assert_string_equal (error, "unsupported protocol version");
    zstr_free (&error);
    error = client_login (again, "../etc", "pw");
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);

    //  Registered on first login: the account file holds an argon2id hash
    //  and never the password, mode 0600.
    client_logout (alice);
    struct stat st;
    assert_int_equal (stat (fx->accounts, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    char *text = NULL;
    FILE *file = fopen (fx->accounts, "r");
    size_t size = 0;
    assert_true (getdelim (&text, &size, 0, file) > 0);
    fclose (file);
    assert_non_null (strstr (text, "alice:$argon2id$"));
    assert_null (strstr (text, "secret"));
    free (text);

    client_t *wrong = client_new (fx, NULL);
    error = client_login (wrong, "alice", "not-the-password");
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);
    assert_null (client_login (wrong, "alice", "secret"));

    client_destroy (&alice);
    client_destroy (&again);
    client_destroy (&wrong);
}

static void
test_no_register (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    fixture_account (fx, "carol", "pw");

    s_start_broker (fx, 0);
    client_t *client = client_new (fx, NULL);
    char *unknown = client_login (client, "mallory", "pw");
    char *wrong = client_login (client, "carol", "bad");
    //  Same text for an unknown user and a wrong password.
    assert_string_equal (unknown, "invalid user or password");
    assert_string_equal (wrong, unknown);
    zstr_free (&unknown);
    zstr_free (&wrong);
    //  An unknown user is checked against a dummy hash for the time it
    //  takes; the dummy's own password opens nothing
    unknown = client_login (client, "mallory", "fshare: no such user");
    assert_non_null (unknown);
    assert_string_equal (unknown, "invalid user or password");
    zstr_free (&unknown);
    assert_null (client_login (client, "carol", "pw"));
    client_destroy (&client);
}

//  Registration closes at LOGIN_REGISTER_MAX accounts: a first login then
//  is refused like an unknown user and the file stays as it was (one that
//  grew on, beyond ACCOUNTS_FILE_MAX, the broker could not load again)
static void
test_registration_bounded (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    char *hash = passhash_new ("pw", PASSHASH_COST_MIN);
    char *state_dir = fixture_mkdir (fx, "state");
    free (state_dir);
    FILE *file = fopen (fx->accounts, "w");
    assert_non_null (file);
    for (int i = 0; i < LOGIN_REGISTER_MAX; i++)
        fprintf (file, "user%d:%s\n", i, hash);
    fclose (file);
    chmod (fx->accounts, 0600);
    zstr_free (&hash);
    struct stat before, after;
    assert_int_equal (stat (fx->accounts, &before), 0);

    s_start_broker (fx, 1);
    client_t *client = client_new (fx, NULL);
    char *error = client_login (client, "newcomer", "pw");
    assert_string_equal (error, "invalid user or password");
    zstr_free (&error);
    assert_int_equal (stat (fx->accounts, &after), 0);
    assert_int_equal (after.st_size, before.st_size);
    //  The accounts there still log in
    client_t *known = client_new (fx, NULL);
    assert_null (client_login (known, "user7", "pw"));
    client_destroy (&known);
    client_destroy (&client);
}

static void
test_events_and_snapshot (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1);
    zsock_t *sub = fixture_subscriber (fx, NULL, 0);
    s_sync_subscriber (sub);

    client_t *alice = client_new (fx, NULL);
    assert_null (client_login (alice, "alice", "pw"));
    s_publish (alice, 3, 2);
    Fshare__Event *join = s_next_event (sub);
    assert_int_equal (join->type, FSHARE__EVENT_TYPE__EVENT_JOIN);
    assert_string_equal (join->user, "alice");
    assert_int_equal (join->n_files, 3);
    assert_false (join->more);
    bool nested = false;
    for (size_t i = 0; i < join->n_files; i++) {
        if (streq (join->files [i]->path, "dir2/sub/file2.txt")) {
            nested = true;
            assert_int_equal (join->files [i]->size, 2);
        }
    }
    assert_true (nested);
    uint64_t seq = join->seq;
    char *broker_id = strdup (join->broker);
    fsh_event_destroy (&join);

    s_change (alice, FSHARE__CHANGE_KIND__CHANGE_ADDED, "new.txt", NULL, 10);
    s_change (alice, FSHARE__CHANGE_KIND__CHANGE_CHANGED, "new.txt", NULL, 11);
    s_change (alice, FSHARE__CHANGE_KIND__CHANGE_RENAMED, "renamed.txt", "new.txt", 11);
    s_change (alice, FSHARE__CHANGE_KIND__CHANGE_REMOVED, "renamed.txt", NULL, 0);
    Fshare__EventType expected [] = {
        FSHARE__EVENT_TYPE__EVENT_FILE_ADDED, FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED,
        FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED, FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED
    };
    for (int i = 0; i < 4; i++) {
        Fshare__Event *event = s_next_event (sub);
        assert_int_equal (event->type, expected [i]);
        assert_string_equal (event->broker, broker_id);
        //  Stats events sit between: sequence numbers only ever grow.
        assert_true (event->seq > seq);
        if (event->type == FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED)
            assert_string_equal (event->from, "new.txt");
        seq = event->seq;
        fsh_event_destroy (&event);
    }

    //  A snapshot holds alice's 3 files at a seq at least the last one seen,
    //  and nobody who is not online: bob logged in without publishing yet,
    //  and a tap's (observer's) session
    client_t *bob = client_new (fx, NULL);
    assert_null (client_login (bob, "bob", "pw"));
    client_t *observer = client_new (fx, NULL);
    Fshare__Login login = client_login_body ("alice", "pw", true);
    char *error = client_login_with (observer, &login);
    assert_null (error);
    client_t *tap = client_new (fx, NULL);
    Fshare__Message *page = client_snapshot (tap);
    assert_int_equal (page->body_case, FSHARE__MESSAGE__BODY_SNAPSHOT_PAGE);
    assert_false (page->snapshot_page->more);
    assert_true (page->snapshot_page->seq >= seq);
    assert_int_equal (page->snapshot_page->n_users, 1);
    assert_string_equal (page->snapshot_page->users [0]->user, "alice");
    assert_int_equal (page->snapshot_page->users [0]->n_files, 3);
    fsh_msg_destroy (&page);
    client_destroy (&observer);
    client_destroy (&bob);

    client_logout (alice);
    Fshare__Event *leave = s_next_event (sub);
    assert_int_equal (leave->type, FSHARE__EVENT_TYPE__EVENT_LEAVE);
    assert_string_equal (leave->user, "alice");
    fsh_event_destroy (&leave);

    free (broker_id);
    client_destroy (&alice);
    client_destroy (&tap);
    zsock_destroy (&sub);
}

static void
test_consecutive_and_paged (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    //  Building and sending 20,000 files' pages says nothing else to the
    //  broker: under ASan on a loaded machine that outlasted 3 x 100 ms
    //  and "big" was declared gone. Liveness is not what this tests.
    broker_config_t config = fixture_broker_config (fx);
    config.registration = 1;
    config.heartbeat_ms = 1000;
    config.liveness = 10;
    config.stats_ms = 200;
    fixture_broker_start (fx, &config);
    zsock_t *sub = fixture_subscriber (fx, NULL, 0);
    s_sync_subscriber (sub);
    client_t *big = client_new (fx, NULL);
    assert_null (client_login (big, "big", "pw"));
    s_publish (big, 20000, 5000);

    //  The join comes in pages, each under the page budget, numbered from
    //  0, sequence numbers consecutive (stats included), 20000 files in all.
    size_t files = 0;
    uint32_t page = 0;
    uint64_t seq = 0;
    bool more = true;
    zpoller_t *poller = zpoller_new (sub, NULL);
    while (more) {
        assert_non_null (zpoller_wait (poller, DEADLINE_MS));
        Fshare__Event *event = fsh_event_recv (sub);
        assert_non_null (event);
        if (seq)
            assert_int_equal (event->seq, seq + 1);
        seq = event->seq;
        if (event->type == FSHARE__EVENT_TYPE__EVENT_JOIN) {
            assert_int_equal (event->page, page++);
            assert_true (fshare__event__get_packed_size (event) <= FSH_PAGE_BYTES + 4096);
            files += event->n_files;
            more = event->more;
        }
        fsh_event_destroy (&event);
    }
    zpoller_destroy (&poller);
    assert_int_equal (files, 20000);
    assert_true (page > 1);
    client_destroy (&big);
    zsock_destroy (&sub);
}

static void
test_silent_peer_expires (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1);
    zsock_t *sub = fixture_subscriber (fx, NULL, 0);
    s_sync_subscriber (sub);
    client_t *ghost = client_new (fx, NULL);
    assert_null (client_login (ghost, "ghost", "pw"));
    s_publish (ghost, 1, 10);
    Fshare__Event *event = s_next_event (sub);
    assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_JOIN);
    fsh_event_destroy (&event);
    //  No heartbeats from now on: 3 x 100 ms later the broker says leave.
    int64_t start = zclock_mono ();
    event = s_next_event (sub);
    assert_int_equal (event->type, FSHARE__EVENT_TYPE__EVENT_LEAVE);
    assert_string_equal (event->user, "ghost");
    assert_true (zclock_mono () - start < 2000);
    fsh_event_destroy (&event);

    //  Its session is gone: a ping is refused and says so.
    uint64_t id = client_ping (ghost);
    Fshare__Message *reply = client_recv (ghost);
    assert_int_equal (reply->id, id);
    assert_int_equal (reply->status, FSHARE__STATUS__STATUS_ERROR);
    assert_string_equal (reply->error, "unknown session");
    fsh_msg_destroy (&reply);
    client_destroy (&ghost);
    zsock_destroy (&sub);
}

//  A subscriber whose reader pauses while thousands of events go by loses
//  some (tiny receive high-water mark); the view notices the gap and
//  converges through a snapshot to exactly the broker's state.
static void
test_gap_then_snapshot (void **state)
{
    fixture_t *fx = (fixture_t *) *state;
    s_start_broker (fx, 1);
    client_t *reader = client_new (fx, NULL);
    zsock_t *sub = fixture_subscriber (fx, NULL, 1);
    zsock_set_rcvbuf (sub, 4096);
    s_sync_subscriber (sub);
    view_t *view = view_new ();
    view_snapshot_begin (view);
    Fshare__Message *page = client_snapshot (reader);
    assert_int_equal (view_snapshot_page (view, page->snapshot_page), 1);
    fsh_msg_destroy (&page);

    //  The reader is paused: 30,000 changes pile up and overflow.
    client_t *writer = client_new (fx, NULL);
    assert_null (client_login (writer, "writer", "pw"));
    s_publish (writer, 1, 10);
    char path [64];
    for (int i = 0; i < 30000; i++) {
        snprintf (path, sizeof path, "burst/file-with-a-long-name-%05d.bin", i);
        s_change (writer, FSHARE__CHANGE_KIND__CHANGE_ADDED, path, NULL, (uint64_t) i);
    }
    //  A ping's reply is processed after all the changes: then the broker
    //  has published them all.
    uint64_t id = client_ping (writer);
    Fshare__Message *pong = client_recv (writer);
    assert_int_equal (pong->id, id);
    uint64_t final_seq = pong->pong->seq;
    fsh_msg_destroy (&pong);

    //  Resume reading: the view must detect the loss and resync.
    int resyncs = 0;
    zpoller_t *poller = zpoller_new (sub, NULL);
    int64_t deadline = zclock_mono () + 20000;
    while (!(view_synced (view) && view_seq (view) >= final_seq && view_file_count (view) == 30001)
       &&  zclock_mono () < deadline) {
        //  Keep the writer alive (the fixture's heartbeat is 100 ms).
        client_ping (writer);
        zmsg_t *drained;
        while ((drained = zmsg_recv_nowait (writer->dealer)))
            zmsg_destroy (&drained);
        if (!zpoller_wait (poller, 50))
            continue;
        Fshare__Event *event = fsh_event_recv (sub);
        if (!event)
            continue;
        if (view_event (view, event) == VIEW_RESYNC) {
            resyncs++;
            view_snapshot_begin (view);
            page = client_snapshot (reader);
            int done;
            while ((done = view_snapshot_page (view, page->snapshot_page)) == 0) {
                fsh_msg_destroy (&page);
                page = client_recv (reader);
            }
            fsh_msg_destroy (&page);
            assert_int_equal (done, 1);
        }
        fsh_event_destroy (&event);
    }
    zpoller_destroy (&poller);
    assert_true (resyncs >= 1);
    assert_true (view_synced (view));
    assert_int_equal (view_file_count (view), 30001);
    view_destroy (&view);
    client_destroy (&writer);
    client_destroy (&reader);
    zsock_destroy (&sub);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_login_rules, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_registration_bounded, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_no_register, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_events_and_snapshot, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_consecutive_and_paged, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_silent_peer_expires, s_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown (test_gap_then_snapshot, s_setup, fixture_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
