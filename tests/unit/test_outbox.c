/*  test_outbox.c - the agent's queue to the broker: order, merging of
    changes per path (never across a rename), and the window that only a
    pong reopens.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "outbox.h"

static hostdir_change_t *
s_change (Fshare__ChangeKind kind, const char *path, const char *from, uint64_t size)
{
    hostdir_change_t *change = (hostdir_change_t *) zmalloc (sizeof (hostdir_change_t));
    change->kind = kind;
    change->path = strdup (path);
    change->from = from? strdup (from): NULL;
    change->size = size;
    change->mtime = 1;
    return change;
}

static void
s_add (outbox_t *outbox, Fshare__ChangeKind kind, const char *path, const char *from,
       uint64_t size)
{
    hostdir_change_t *change = s_change (kind, path, from, size);
    outbox_add_change (outbox, &change);
    assert_null (change);
}

//  "kind:path" of each queued item, in order, popping them.
static char *
s_drain (outbox_t *outbox)
{
    char *text = strdup ("");
    zframe_t *frame;
    hostdir_change_t *change;
    while (outbox_head (outbox, &frame, &change)) {
        char *item = frame? strdup ("page")
                   : zsys_sprintf ("%d:%s:%" PRIu64, change->kind, change->path, change->size);
        char *longer = zsys_sprintf ("%s%s%s", text, *text? ",": "", item);
        free (text);
        free (item);
        text = longer;
        outbox_pop (outbox, 10);
    }
    return text;
}

#define ADDED   FSHARE__CHANGE_KIND__CHANGE_ADDED
#define CHANGED FSHARE__CHANGE_KIND__CHANGE_CHANGED
#define REMOVED FSHARE__CHANGE_KIND__CHANGE_REMOVED
#define RENAMED FSHARE__CHANGE_KIND__CHANGE_RENAMED

static void
test_merging (void **state)
{
    (void) state;
    outbox_t *outbox = outbox_new ();
    zframe_t *page = zframe_new ("p", 1);
    outbox_add_frame (outbox, &page);
    s_add (outbox, ADDED, "a", NULL, 1);
    s_add (outbox, CHANGED, "a", NULL, 2);      //  still added, now size 2
    s_add (outbox, ADDED, "b", NULL, 1);
    s_add (outbox, REMOVED, "b", NULL, 0);      //  the broker never knew b
    s_add (outbox, CHANGED, "c", NULL, 3);
    s_add (outbox, REMOVED, "c", NULL, 0);
    s_add (outbox, REMOVED, "d", NULL, 0);
    s_add (outbox, ADDED, "d", NULL, 4);        //  an editor's save: changed
    assert_int_equal (outbox_size (outbox), 4);
    char *text = s_drain (outbox);
    assert_string_equal (text, "page,1:a:2,3:c:0,2:d:4");
    zstr_free (&text);
    outbox_destroy (&outbox);
}

//  A rename keeps what came before it apart from what comes after.
static void
test_rename_is_a_barrier (void **state)
{
    (void) state;
    outbox_t *outbox = outbox_new ();
    s_add (outbox, ADDED, "x", NULL, 1);
    s_add (outbox, RENAMED, "y", "x", 1);
    s_add (outbox, CHANGED, "x", NULL, 5);
    s_add (outbox, CHANGED, "y", NULL, 6);
    s_add (outbox, CHANGED, "y", NULL, 7);      //  merges with the one after the rename
    char *text = s_drain (outbox);
    assert_string_equal (text, "1:x:1,4:y:1,2:x:5,2:y:7");
    zstr_free (&text);
    outbox_destroy (&outbox);
}

static void
test_window (void **state)
{
    (void) state;
    outbox_t *outbox = outbox_new ();
    uint64_t id = 100;
    size_t sent = 0;
    for (int i = 0; i < 3 * OUTBOX_WINDOW; i++) {
        char path [32];
        snprintf (path, sizeof path, "f%d", i);
        s_add (outbox, ADDED, path, NULL, 1);
    }
    //  Send as a link would, pinging when due, until the window closes
    zframe_t *frame;
    hostdir_change_t *change;
    while (outbox_window_open (outbox) && outbox_head (outbox, &frame, &change)) {
        if (outbox_ack_due (outbox))
            outbox_ping (outbox, ++id);
        outbox_pop (outbox, 10);
        sent++;
    }
    assert_int_equal (sent, OUTBOX_WINDOW);
    assert_int_equal (outbox_unacked (outbox), OUTBOX_WINDOW);
    assert_false (outbox_window_open (outbox));
    //  The first pings' pongs acknowledge what went before them
    outbox_pong (outbox, 102);
    assert_true (outbox_window_open (outbox));
    assert_true (outbox_unacked (outbox) < OUTBOX_WINDOW);
    outbox_pong (outbox, id);
    assert_true (outbox_unacked (outbox) <= OUTBOX_WINDOW / 4);
    outbox_clear (outbox);
    assert_int_equal (outbox_size (outbox), 0);
    assert_int_equal (outbox_unacked (outbox), 0);
    outbox_destroy (&outbox);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_merging),
        cmocka_unit_test (test_rename_is_a_barrier),
        cmocka_unit_test (test_window),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
