/*  test_partrecord.c - what a partial file is a part of (peer/partrecord.c):
    a record written and read back, with and without a digest; a file
    without one, with a damaged one (unknown version, a missing line, a
    size that is not a number, a digest that is not hex) or a first-version
    one (no digest line); and a record taken off.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "partrecord.h"
#include <fcntl.h>
#include <sys/xattr.h>

#define S_XATTR "user.fshare.source"

//  A file to hold records, in the build tree (on a disk: /tmp may be a
//  file system without user extended attributes, as test_sink's resumes
//  need them too).
static int
s_file (char *path, size_t size)
{
    snprintf (path, size, "fshare-test-partrecord-XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    if (fsetxattr (fd, "user.fshare.probe", "1", 1, 0) == -1)
        fail_msg ("no user extended attributes in the build tree: %s", strerror (errno));
    return fd;
}

static void
s_set (int fd, const char *text)
{
    assert_int_equal (fsetxattr (fd, S_XATTR, text, strlen (text), 0), 0);
}

static void
test_round_trip (void **state)
{
    (void) state;
    char path [64];
    int fd = s_file (path, sizeof path);
    partrecord_t record = { .size = 1234567890123, .mtime = -5, .has_sha256 = true };
    strcpy (record.owner, "alice");
    strcpy (record.path, "docs/a\nb.txt");     //  a newline in the last line is kept
    for (int i = 0; i < DIGEST_SIZE; i++)
        record.sha256 [i] = (uint8_t) (255 - i);
    partrecord_t back;
    assert_int_equal (partrecord_read (fd, &back), -1);       //  none yet
    assert_int_equal (partrecord_write (fd, &record), 0);
    assert_int_equal (partrecord_read (fd, &back), 0);
    assert_string_equal (back.owner, "alice");
    assert_string_equal (back.path, "docs/a\nb.txt");
    assert_int_equal (back.size, 1234567890123);
    assert_int_equal (back.mtime, -5);
    assert_true (back.has_sha256);
    assert_memory_equal (back.sha256, record.sha256, DIGEST_SIZE);
    record.has_sha256 = false;
    assert_int_equal (partrecord_write (fd, &record), 0);
    assert_int_equal (partrecord_read (fd, &back), 0);
    assert_false (back.has_sha256);
    partrecord_remove (fd);
    assert_int_equal (partrecord_read (fd, &back), -1);
    close (fd);
    unlink (path);
}

static void
test_damaged (void **state)
{
    (void) state;
    char path [64];
    int fd = s_file (path, sizeof path);
    partrecord_t back;
    const char *damaged [] = {
        "fshare9\nalice\n10\n5\n\nx.txt",
        "fshare2\nalice\n10\n5\nx.txt",
        "fshare2\nalice\nten\n5\n\nx.txt",
        "fshare2\nalice\n10\n5x\n\nx.txt",
        "fshare2\nalice\n10\n5\nnot-hex\nx.txt",
        "",
    };
    for (size_t i = 0; i < sizeof damaged / sizeof damaged [0]; i++) {
        if (*damaged [i])
            s_set (fd, damaged [i]);
        else
            partrecord_remove (fd);
        assert_int_equal (partrecord_read (fd, &back), -1);
    }
    //  The first version had no digest line
    s_set (fd, "fshare1\nbob\n10\n5\nd/x.txt");
    assert_int_equal (partrecord_read (fd, &back), 0);
    assert_string_equal (back.owner, "bob");
    assert_string_equal (back.path, "d/x.txt");
    assert_false (back.has_sha256);
    close (fd);
    unlink (path);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_damaged),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
