/*  test_view_resync.c - what a resync tells the view's watcher (the
    agent's `events`, the web view), beyond test_view.c's case: a file
    whose mtime alone changed is file_changed, a digest that alone changed
    too, and a user who logged out and in again between two snapshots
    (another `since`) is a leave and a join, not a quiet file diff.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "view.h"

#define B1 "broker-one"
#define B2 "broker-two"

typedef struct {
    const char *path;
    uint64_t size;
    int64_t mtime;
    uint8_t fill;               //  digest of this byte, 0: none
} file_spec_t;

typedef struct {
    const char *user;
    int64_t since;
    file_spec_t files [3];      //  ends at a NULL path
} user_spec_t;

//  One whole snapshot of these users (at most 3, each at most 3 files).
static int
s_snapshot (view_t *view, uint64_t seq, const user_spec_t *users, size_t n_users)
{
    Fshare__UserFiles entries [3], *entry_list [3];
    Fshare__FileInfo infos [3][3], *info_list [3][3];
    uint8_t digests [3][3][32];
    assert_true (n_users <= 3);
    for (size_t u = 0; u < n_users; u++) {
        fshare__user_files__init (&entries [u]);
        entries [u].user = (char *) users [u].user;
        entries [u].since = users [u].since;
        size_t count = 0;
        for (; count < 3 && users [u].files [count].path; count++) {
            const file_spec_t *spec = &users [u].files [count];
            Fshare__FileInfo *info = &infos [u][count];
            fshare__file_info__init (info);
            info->path = (char *) spec->path;
            info->size = spec->size;
            info->mtime = spec->mtime;
            if (spec->fill) {
                memset (digests [u][count], spec->fill, 32);
                info->sha256.data = digests [u][count];
                info->sha256.len = 32;
            }
            info_list [u][count] = info;
        }
        entries [u].files = info_list [u];
        entries [u].n_files = count;
        entry_list [u] = &entries [u];
    }
    Fshare__SnapshotPage page = FSHARE__SNAPSHOT_PAGE__INIT;
    page.broker = B1;
    page.seq = seq;
    page.users = entry_list;
    page.n_users = n_users;
    view_snapshot_begin (view);
    return view_snapshot_page (view, &page);
}

//  "type user [path]" per event told, in a sorted list
static void
s_record (const Fshare__Event *event, void *arg)
{
    zlistx_t *told = (zlistx_t *) arg;
    char *line = NULL;
    switch (event->type) {
        case FSHARE__EVENT_TYPE__EVENT_JOIN:
            line = zsys_sprintf ("join %s %zu", event->user, event->n_files);
            break;
        case FSHARE__EVENT_TYPE__EVENT_LEAVE:
            line = zsys_sprintf ("leave %s", event->user);
            break;
        case FSHARE__EVENT_TYPE__EVENT_FILE_ADDED:
            line = zsys_sprintf ("added %s %s", event->user, event->file->path);
            break;
        case FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED:
            line = zsys_sprintf ("changed %s %s", event->user, event->file->path);
            break;
        case FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED:
            line = zsys_sprintf ("removed %s %s", event->user, event->file->path);
            break;
        default:
            fail_msg ("a resync told an event of type %d", event->type);
    }
    zlistx_add_end (told, line);
}

static char *
s_told (zlistx_t *told)
{
    zlistx_sort (told);
    char *text = strdup ("");
    for (char *line = (char *) zlistx_first (told); line; line = (char *) zlistx_next (told)) {
        char *longer = zsys_sprintf ("%s%s;", text, line);
        free (text);
        text = longer;
    }
    zlistx_purge (told);
    return text;
}

static void
test_resync_tells_what_changed (void **state)
{
    (void) state;
    zlistx_t *told = zlistx_new ();
    zlistx_set_destructor (told, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_comparator (told, (zlistx_comparator_fn *) strcmp);
    view_t *view = view_new ();
    view_set_watcher (view, s_record, told);
    user_spec_t before [] = {
        { "alice", 1, { { "a.txt", 5, 100, 0 }, { "b.txt", 5, 100, 0x11 }, { NULL } } },
        { "bob", 1, { { "x", 1, 1, 0 }, { NULL } } },
    };
    assert_int_equal (s_snapshot (view, 10, before, 2), 1);
    assert_int_equal (zlistx_size (told), 0);       //  the first snapshot tells nothing

    //  Out of sequence (another broker's pong), then the next snapshot:
    //  a.txt has a new mtime and the same size, b.txt a new digest only,
    //  and bob logged in again (same file, another since)
    assert_true (view_pong (view, B2, 1));
    user_spec_t after [] = {
        { "alice", 1, { { "a.txt", 5, 200, 0 }, { "b.txt", 5, 100, 0x22 }, { NULL } } },
        { "bob", 2, { { "x", 1, 1, 0 }, { NULL } } },
    };
    assert_int_equal (s_snapshot (view, 12, after, 2), 1);
    char *text = s_told (told);
    assert_string_equal (text, "changed alice a.txt;changed alice b.txt;join bob 1;leave bob;");
    zstr_free (&text);

    //  The same again: nothing to tell
    assert_true (view_pong (view, B2, 1));
    assert_int_equal (s_snapshot (view, 12, after, 2), 1);
    assert_int_equal (zlistx_size (told), 0);
    view_destroy (&view);
    zlistx_destroy (&told);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_resync_tells_what_changed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
