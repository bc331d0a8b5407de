/*  test_subscriptions.c - who may subscribe to what on the event socket
    (broker/subscriptions.c): the topics and their prefixes (the empty
    one too) and nothing else; a live XPUB in manual mode keeps only
    those, so a subscriber of junk topics gets no event of them, one of
    "files" gets files events only, an unsubscription is taken, and a
    frame longer than the limit ends that connection alone.
*/
#include "fixture.h"
#include "subscriptions.h"

static void
test_allowed (void **state)
{
    (void) state;
    const char *yes [] = { "", "p", "presence", "f", "files", "st", "stats" };
    const char *no [] = { "presences", "filesx", "x", "stat\x01", "junk", "Files" };
    for (size_t i = 0; i < sizeof yes / sizeof yes [0]; i++)
        assert_true (subscriptions_allowed (yes [i], strlen (yes [i])));
    for (size_t i = 0; i < sizeof no / sizeof no [0]; i++)
        assert_false (subscriptions_allowed (no [i], strlen (no [i])));
    //  Sized, not NUL-terminated: "files" within a longer buffer
    assert_true (subscriptions_allowed ("filesXYZ", 5));
    assert_false (subscriptions_allowed ("files\0", 6));
}

//  Take subscriptions until `accepted` and `refused` reach their counts.
static void
s_take_until (zsock_t *pub, size_t accepted, size_t refused)
{
    size_t got_accepted = 0, got_refused = 0;
    int64_t deadline = zclock_mono () + 10000;
    while ((got_accepted < accepted || got_refused < refused) && zclock_mono () < deadline) {
        zpoller_t *poller = zpoller_new (pub, NULL);
        zpoller_wait (poller, 100);
        zpoller_destroy (&poller);
        subscriptions_take (pub, NULL, &got_accepted, &got_refused);
    }
    assert_int_equal (got_accepted, accepted);
    assert_int_equal (got_refused, refused);
}

//  The topic of the next message on sub within wait_ms, or NULL.
static char *
s_topic (zsock_t *sub, int wait_ms)
{
    zsock_set_rcvtimeo (sub, wait_ms);
    zmsg_t *msg = zmsg_recv (sub);
    char *topic = msg? zmsg_popstr (msg): NULL;
    zmsg_destroy (&msg);
    return topic;
}

static void
test_live (void **state)
{
    (void) state;
    zsock_t *pub = zsock_new (ZMQ_XPUB);
    subscriptions_setup (pub);
    assert_true (zsock_bind (pub, "tcp://127.0.0.1:*") > 0);
    char *endpoint = zsock_last_endpoint (pub);

    zsock_t *junk = zsock_new_sub (endpoint, NULL);
    for (int i = 0; i < 50; i++) {
        char topic [40];
        snprintf (topic, sizeof topic, "junk-%02d-%s", i, "xxxxxxxxxxxxxxxxxxxxxxxx");
        zsock_set_subscribe (junk, topic);
    }
    zsock_set_subscribe (junk, "stats");
    zsock_t *files = zsock_new_sub (endpoint, "files");
    s_take_until (pub, 2, 50);

    //  A frame beyond the limit: that connection is dropped, the others live
    zsock_t *big = zsock_new (ZMQ_SUB);
    char *huge = (char *) malloc (SUBSCRIPTIONS_MAX_MESSAGE * 4);
    memset (huge, 'f', SUBSCRIPTIONS_MAX_MESSAGE * 4 - 1);
    huge [SUBSCRIPTIONS_MAX_MESSAGE * 4 - 1] = 0;
    zsock_set_subscribe (big, huge);
    assert_int_equal (zsock_connect (big, "%s", endpoint), 0);

    //  Publish until both live subscribers have theirs (a connection's
    //  subscription may still be on its way for the first sends)
    char *got_files = NULL, *got_stats = NULL;
    int64_t deadline = zclock_mono () + 10000;
    while ((!got_files || !got_stats) && zclock_mono () < deadline) {
        zstr_sendx (pub, "junk-07-xxxxxxxxxxxxxxxxxxxxxxxx", "a", NULL);
        zstr_sendx (pub, "files", "b", NULL);
        zstr_sendx (pub, "stats", "c", NULL);
        if (!got_files)
            got_files = s_topic (files, 50);
        if (!got_stats)
            got_stats = s_topic (junk, 50);
        //  Anything junk receives is stats: never one of its junk topics
        if (got_stats)
            assert_string_equal (got_stats, "stats");
        if (got_files)
            assert_string_equal (got_files, "files");
        subscriptions_take (pub, NULL, NULL, NULL);
    }
    assert_non_null (got_files);
    assert_non_null (got_stats);
    for (char *topic; (topic = s_topic (junk, 20)); zstr_free (&topic))
        assert_string_equal (topic, "stats");
    for (char *topic; (topic = s_topic (files, 20)); zstr_free (&topic))
        assert_string_equal (topic, "files");
    assert_null (s_topic (big, 100));

    //  Unsubscribed: files gets nothing more
    zsock_set_unsubscribe (files, "files");
    s_take_until (pub, 1, 0);
    zstr_sendx (pub, "files", "d", NULL);
    assert_null (s_topic (files, 200));

    zstr_free (&got_files);
    zstr_free (&got_stats);
    free (huge);
    zstr_free (&endpoint);
    zsock_destroy (&big);
    zsock_destroy (&files);
    zsock_destroy (&junk);
    zsock_destroy (&pub);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_allowed),
        cmocka_unit_test (test_live),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
