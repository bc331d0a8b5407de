/*  test_bounds.c - proto/bounds: the limits a broker administrator may
    tighten (--max-path, --max-depth) on top of the protocol's own, and
    partial-download names, which are never published. Traversal and
    other hostile names are refused whatever the limits.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include "bounds.h"

static void
test_hostile_names (void **state)
{
    (void) state;
    const char *hostile [] = {
        "..", "../etc/passwd", "a/../../b", "a/..", "/etc/passwd", "/", ".", "./a",
        "a//b", "a/", "", "a\nb", "a\tb", "\x7f", "bad\xff" "utf8", "\xc0\xaf",
        "\xed\xa0\x80", "\x1b]0;title\x07", NULL
    };
    for (int i = 0; hostile [i]; i++) {
        assert_non_null (fsh_path_check_bounded (hostile [i], 0, 0));
        assert_non_null (fsh_path_check_bounded (hostile [i], 100, 5));
        //  The loosest limits a broker may give change nothing
        assert_non_null (fsh_path_check_bounded (hostile [i], SIZE_MAX, INT32_MAX));
    }
    assert_non_null (fsh_path_check_bounded (NULL, 0, 0));
    //  A NUL ends a C string: what is checked is what is used
    assert_null (fsh_path_check_bounded ("a\0/../../etc", 0, 0));
}

static void
test_partial_names (void **state)
{
    (void) state;
    //  Valid paths by fsh_path_check, refused here (SPEC 4.2)
    assert_null (fsh_path_check (".a.txt.fshare-part"));
    assert_string_equal (fsh_path_check_bounded (".a.txt.fshare-part", 0, 0),
                         "partial download names are never published");
    assert_non_null (fsh_path_check_bounded ("d/e/.a.fshare-part", 0, 0));
    assert_null (fsh_path_check_bounded ("a.fshare-part", 0, 0));
    assert_null (fsh_path_check_bounded (".d.fshare-part/a", 0, 0));
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "dir/.b.fshare-part";
    assert_non_null (fsh_file_check_bounded (&file, 0, 0));
}

static void
test_lengths (void **state)
{
    (void) state;
    //  The protocol's maximum, then a broker's tighter one
    char *long_path = (char *) zmalloc (FSH_PATH_MAX + 2);
    for (int i = 0; i < FSH_PATH_MAX + 1; i++)
        long_path [i] = (i % 100 == 99)? '/': 'x';
    assert_non_null (fsh_path_check_bounded (long_path, 0, 0));
    //  A limit looser than the protocol's does not loosen it
    assert_non_null (fsh_path_check_bounded (long_path, FSH_PATH_MAX * 2, 0));
    long_path [FSH_PATH_MAX] = 0;
    assert_null (fsh_path_check_bounded (long_path, 0, 0));
    assert_null (fsh_path_check_bounded (long_path, FSH_PATH_MAX, 0));
    assert_string_equal (fsh_path_check_bounded (long_path, FSH_PATH_MAX - 1, 0),
                         "path longer than the broker allows (--max-path)");
    assert_non_null (fsh_path_check_bounded (long_path, 200, 0));
    long_path [199] = 0;        //  199 bytes, not ending in '/'
    assert_null (fsh_path_check_bounded (long_path, 200, 0));
    assert_null (fsh_path_check_bounded (long_path, 199, 0));
    assert_non_null (fsh_path_check_bounded (long_path, 198, 0));
    free (long_path);
    //  Bytes, not characters: "é" is two
    assert_null (fsh_path_check_bounded ("\xc3\xa9", 2, 0));
    assert_non_null (fsh_path_check_bounded ("\xc3\xa9", 1, 0));
    assert_null (fsh_path_check_bounded ("a", 1, 0));
}

static void
test_depths (void **state)
{
    (void) state;
    //  a/b/c has three components
    assert_null (fsh_path_check_bounded ("a/b/c", 0, 3));
    assert_null (fsh_path_check_bounded ("a", 0, 1));
    assert_non_null (fsh_path_check_bounded ("a/b", 0, 1));
    assert_non_null (fsh_path_check_bounded ("a/b/c/d", 0, 3));
    assert_string_equal (fsh_path_check_bounded ("a/b/c/d", 0, 3),
                         "path deeper than the broker allows (--max-depth)");
    //  0 or less: the protocol's maximum only
    assert_null (fsh_path_check_bounded ("a/b/c/d", 0, 0));
    assert_null (fsh_path_check_bounded ("a/b/c/d", 0, -1));
    char deep [FSH_DEPTH_MAX * 2 + 3] = "";
    for (int i = 0; i < FSH_DEPTH_MAX; i++)
        strcat (deep, i? "/d": "d");
    assert_null (fsh_path_check_bounded (deep, 0, 0));
    assert_null (fsh_path_check_bounded (deep, 0, FSH_DEPTH_MAX));
    assert_non_null (fsh_path_check_bounded (deep, 0, FSH_DEPTH_MAX - 1));
    strcat (deep, "/d");
    assert_non_null (fsh_path_check_bounded (deep, 0, 0));
    assert_non_null (fsh_path_check_bounded (deep, 0, FSH_DEPTH_MAX * 2));
}

static void
test_file_info (void **state)
{
    (void) state;
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "docs/a.txt";
    file.size = 3;
    file.mtime = 1700000000;
    assert_null (fsh_file_check_bounded (&file, 0, 0));
    assert_null (fsh_file_check_bounded (&file, 10, 2));
    assert_non_null (fsh_file_check_bounded (&file, 9, 0));
    assert_non_null (fsh_file_check_bounded (&file, 0, 1));
    file.path = "../a.txt";
    assert_non_null (fsh_file_check_bounded (&file, 0, 0));
    file.path = "a.txt";
    //  The FileInfo's own ranges are still checked
    file.size = (uint64_t) INT64_MAX + 1;
    assert_non_null (fsh_file_check_bounded (&file, 0, 0));
    file.size = 3;
    file.mode = 0100644;
    assert_non_null (fsh_file_check_bounded (&file, 0, 0));
    assert_non_null (fsh_file_check_bounded (NULL, 0, 0));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_hostile_names),
        cmocka_unit_test (test_partial_names),
        cmocka_unit_test (test_lengths),
        cmocka_unit_test (test_depths),
        cmocka_unit_test (test_file_info),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
