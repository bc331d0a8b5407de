/*  test_sink_part.c - the requester's partial file (peer/sink.c, with
    peer/partrecord.c's record), fed by hand: one that cannot be created
    is a failure with its code; the choice of partial file passes over a
    slot held by a directory, a link, a FIFO, a running download (locked),
    another source's bytes or a hard link to a file elsewhere, and one
    swapped for another thing during the transfer is not saved; a partial
    file with a damaged record is nobody's; one longer than its file
    restarts. The rest of the sink is
    test_sink.c's.
*/
#include "fixture.h"
#include "source.h"
#include "sink.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/file.h>
#include <dirent.h>
#include <sys/inotify.h>

//  A partial file that cannot be created (here: a directory that takes
//  no new files, as a read-only or full file system) is a failure with
//  its code, never an error without one.
static void
test_part_not_creatable (void **state)
{
    (void) state;
    char *error = NULL;
    fsh_err_t code = FSH_ERR_NONE;
    sink_t *sink = sink_new ("/proc/self", "f.txt", "alice", "f.txt", NULL, &code, &error);
    assert_null (sink);
    assert_non_null (error);
    assert_int_equal (code, FSH_ERR_NOT_WRITABLE);
    zstr_free (&error);
}

//  Where the partial file would go, something else sits: passed over.
static void
test_part_slot_taken (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *slot = zsys_sprintf ("%s/.f.txt.fshare-part", fx->downloads);
    char *slot1 = zsys_sprintf ("%s/.f_1.txt.fshare-part", fx->downloads);
    char *slot2 = zsys_sprintf ("%s/.f_2.txt.fshare-part", fx->downloads);
    char *target = zsys_sprintf ("%s/target", fx->dir);
    assert_int_equal (mkdir (slot, 0755), 0);
    assert_int_equal (symlink (target, slot1), 0);
    assert_int_equal (mkfifo (slot2, 0600), 0);
    //  The FIFO is never even opened (an open of one wakes a reader
    //  waiting on it; of a device, may rewind a tape): inotify is told of
    //  every open in the directory, synchronously, as the open happens
    int watch = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    assert_true (watch >= 0);
    assert_true (inotify_add_watch (watch, fx->downloads, IN_OPEN) >= 0);
    sink_t *sink = fixture_ends_sink (fx, "f.txt", "f.txt");
    assert_string_equal (fixture_ends_part_name (sink), ".f_3.txt.fshare-part");
    char events [4096] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
    ssize_t got;
    bool opened_f3 = false;
    while ((got = read (watch, events, sizeof events)) > 0)
        for (char *at = events; at < events + got;
             at += sizeof (struct inotify_event) + ((struct inotify_event *) at)->len) {
            struct inotify_event *event = (struct inotify_event *) at;
            const char *name = event->len? event->name: "";
            assert_string_not_equal (name, ".f_2.txt.fshare-part");
            opened_f3 = opened_f3 || streq (name, ".f_3.txt.fshare-part");
        }
    assert_true (opened_f3);    //  the watch sees the opens it should
    close (watch);
    assert_int_equal (sink_offset (sink), 0);
    sink_abort (sink, false);
    sink_destroy (&sink);
    //  Nothing was made through the link, nothing else was touched
    assert_int_equal (access (target, F_OK), -1);
    struct stat st;
    assert_int_equal (stat (slot, &st), 0);
    assert_true (S_ISDIR (st.st_mode));
    assert_int_equal (lstat (slot2, &st), 0);
    assert_true (S_ISFIFO (st.st_mode));
    assert_false (fixture_exists (fx->downloads, ".f_3.txt.fshare-part"));
    zstr_free (&target);
    zstr_free (&slot2);
    zstr_free (&slot1);
    zstr_free (&slot);
}

//  Two downloads of the same name and source at once: the second does
//  not share the first's partial file (it is locked).
static void
test_part_locked (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    sink_t *first = fixture_ends_sink (fx, "f.txt", "f.txt");
    sink_t *second = fixture_ends_sink (fx, "f.txt", "f.txt");
    assert_string_equal (fixture_ends_part_name (first), ".f.txt.fshare-part");
    assert_string_equal (fixture_ends_part_name (second), ".f_1.txt.fshare-part");
    //  A lock held elsewhere (another agent's) counts the same
    char *part = zsys_sprintf ("%s/.g.txt.fshare-part", fx->downloads);
    int fd = open (part, O_RDWR | O_CREAT, 0600);
    assert_true (fd >= 0);
    assert_int_equal (flock (fd, LOCK_EX), 0);
    sink_t *third = fixture_ends_sink (fx, "g.txt", "g.txt");
    assert_string_equal (fixture_ends_part_name (third), ".g_1.txt.fshare-part");
    close (fd);
    sink_abort (third, false);
    sink_destroy (&third);
    sink_abort (second, false);
    sink_destroy (&second);
    sink_abort (first, false);
    sink_destroy (&first);
    zstr_free (&part);
}

//  A partial file whose record is damaged (or missing) is nobody's: with
//  bytes in it, it is left alone; empty, it is taken.
static void
test_part_damaged_record (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    const char *records [] = {
        "garbage",
        "fshare2\nalice\nnot-a-number\n5\n\nf.txt",
        "fshare2\nalice\n100\n5\nnothex\nf.txt",
        "fshare9\nalice\n100\n5\n\nf.txt",
        "fshare2\nalice\n100",
    };
    char *part = zsys_sprintf ("%s/.f.txt.fshare-part", fx->downloads);
    for (size_t i = 0; i < sizeof records / sizeof records [0]; i++) {
        FILE *file = fopen (part, "wb");
        fputs ("0123456789", file);
        fclose (file);
        if (setxattr (part, "user.fshare.source", records [i], strlen (records [i]), 0) != 0)
            fail_msg ("no user extended attributes in the build tree: %s", strerror (errno));
        sink_t *sink = fixture_ends_sink (fx, "f.txt", "f.txt");
        assert_string_equal (fixture_ends_part_name (sink), ".f_1.txt.fshare-part");
        assert_int_equal (sink_offset (sink), 0);
        sink_abort (sink, false);
        sink_destroy (&sink);
        struct stat st;
        assert_int_equal (stat (part, &st), 0);
        assert_int_equal (st.st_size, 10);
    }
    //  No record and no bytes: a free slot
    assert_int_equal (truncate (part, 0), 0);
    removexattr (part, "user.fshare.source");
    sink_t *sink = fixture_ends_sink (fx, "f.txt", "f.txt");
    assert_string_equal (fixture_ends_part_name (sink), ".f.txt.fshare-part");
    sink_abort (sink, false);
    sink_destroy (&sink);
    zstr_free (&part);
}

//  A partial file of the right source, longer than the file it is part
//  of, is useless: the download starts again in it.
static void
test_part_too_long (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *error = NULL;
    sink_t *sink = fixture_ends_sink (fx, "f.txt", "f.txt");
    assert_int_equal (sink_start (sink, 100, 5, 0, &error), 0);
    memset (fx->buf, 'a', 100);
    assert_int_equal (sink_write (sink, 0, fx->buf, 60, &error), 0);
    sink_abort (sink, true);
    sink_destroy (&sink);
    //  Kept for a resume, at 60
    sink = fixture_ends_sink (fx, "f.txt", "f.txt");
    assert_int_equal (sink_offset (sink), 60);
    assert_int_equal (sink_expect_size (sink), 100);
    assert_int_equal (sink_expect_mtime (sink), 5);
    //  The owner may resume only the version we asked for, where we asked
    assert_int_equal (sink_start (sink, 100, 6, 60, &error), -1);
    assert_int_equal (sink_code (sink), FSH_ERR_PROTOCOL_ERROR);
    zstr_free (&error);
    assert_int_equal (sink_start (sink, 101, 5, 60, &error), -1);
    zstr_free (&error);
    assert_int_equal (sink_start (sink, 100, 5, 59, &error), -1);
    zstr_free (&error);
    sink_destroy (&sink);
    //  Grown past its record behind our back
    char *part = zsys_sprintf ("%s/.f.txt.fshare-part", fx->downloads);
    assert_int_equal (truncate (part, 150), 0);
    sink = fixture_ends_sink (fx, "f.txt", "f.txt");
    assert_string_equal (fixture_ends_part_name (sink), ".f.txt.fshare-part");
    assert_int_equal (sink_offset (sink), 0);
    assert_true (sink_restarted (sink));
    sink_abort (sink, false);
    sink_destroy (&sink);
    assert_int_equal (fixture_count_entries (fx->downloads), 0);
    zstr_free (&part);
}

//  Nothing is saved before every byte is there and hashed; a digest that
//  The partial file's slot a hard link to a file elsewhere (even an empty
//  one, which looks like a fresh partial file): passed over, never
//  written through. And its name swapped during the transfer for a
//  symlink, a FIFO, a hard link or another file: nothing saved, nothing
//  written through, what sits there left alone.
static void
test_part_linked (void **state)
{
    fixture_ends_t *fx = (fixture_ends_t *) *state;
    char *victim = zsys_sprintf ("%s/victim", fx->dir);
    char *slot = zsys_sprintf ("%s/.f.txt.fshare-part", fx->downloads);
    int fd = open (victim, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true (fd >= 0);
    close (fd);
    assert_int_equal (link (victim, slot), 0);
    char *error = NULL;
    uint8_t sha [32];
    memset (fx->buf, 'h', 100);
    crypto_hash_sha256 (sha, fx->buf, 100);
    sink_t *sink = fixture_ends_sink (fx, "f.txt", "f.txt");
    assert_string_equal (fixture_ends_part_name (sink), ".f_1.txt.fshare-part");
    assert_int_equal (sink_start (sink, 100, 5, 0, &error), 0);
    assert_int_equal (sink_write (sink, 0, fx->buf, 100, &error), 0);
    assert_int_equal (sink_finish (sink, sha, 32, &error), 0);
    sink_destroy (&sink);
    struct stat st;
    assert_int_equal (stat (victim, &st), 0);
    assert_int_equal (st.st_size, 0);
    assert_int_equal (st.st_nlink, 2);
    assert_int_equal (unlink (slot), 0);
    assert_true (fixture_exists (fx->downloads, "f.txt"));

    //  Swapped mid-transfer: 0 a symlink, 1 a FIFO, 2 a hard link added
    //  elsewhere, 3 another file renamed over it
    for (int how = 0; how < 4; how++) {
        char name [16];
        snprintf (name, sizeof name, "g%d.txt", how);
        sink = fixture_ends_sink (fx, name, name);
        char *part = strdup (sink_part (sink));
        char *other = zsys_sprintf ("%s/other%d", fx->dir, how);
        assert_int_equal (sink_start (sink, 100, 5, 0, &error), 0);
        assert_int_equal (sink_write (sink, 0, fx->buf, 50, &error), 0);
        if (how == 0) {
            assert_int_equal (unlink (part), 0);
            assert_int_equal (symlink (victim, part), 0);
        }
        else
        if (how == 1) {
            assert_int_equal (unlink (part), 0);
            assert_int_equal (mkfifo (part, 0600), 0);
        }
        else
        if (how == 2)
            assert_int_equal (link (part, other), 0);
        else {
            fixture_make_file (fx->dir, strrchr (other, '/') + 1, 100, 9, NULL);
            assert_int_equal (rename (other, part), 0);
        }
        assert_int_equal (sink_write (sink, 50, fx->buf + 50, 50, &error), 0);
        assert_int_equal (sink_finish (sink, sha, 32, &error), -1);
        assert_int_equal (sink_code (sink), FSH_ERR_NOT_WRITABLE);
        assert_non_null (strstr (error, "partial file replaced"));
        zstr_free (&error);
        assert_null (sink_saved (sink));
        sink_destroy (&sink);
        assert_false (fixture_exists (fx->downloads, name));
        //  What sits there is left as it is
        assert_int_equal (lstat (part, &st), 0);
        assert_true (how == 0? S_ISLNK (st.st_mode): how == 1? S_ISFIFO (st.st_mode)
                                                    : S_ISREG (st.st_mode));
        assert_int_equal (unlink (part), 0);
        unlink (other);
        zstr_free (&other);
        free (part);
    }
    assert_int_equal (stat (victim, &st), 0);
    assert_int_equal (st.st_size, 0);
    zstr_free (&slot);
    zstr_free (&victim);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (stderr);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_part_not_creatable),
        cmocka_unit_test_setup_teardown (test_part_slot_taken, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_part_locked, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_part_linked, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_part_damaged_record, fixture_ends_setup, fixture_ends_teardown),
        cmocka_unit_test_setup_teardown (test_part_too_long, fixture_ends_setup, fixture_ends_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
