/*  test_validate.c - proto/validate: the rules every user name, path and
    FileInfo from outside must pass (SPEC 6), at their boundaries: lengths
    and depths one below, at and one above the limit, every kind of broken
    UTF-8, control bytes, and the numeric ranges of a FileInfo.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"

//  A string of `count` copies of `c` (caller frees).
static char *
s_repeat (char c, size_t count)
{
    char *text = (char *) zmalloc (count + 1);
    memset (text, c, count);
    return text;
}

static void
test_user_names (void **state)
{
    (void) state;
    assert_null (fsh_user_check ("alice"));
    assert_null (fsh_user_check ("a.b_c-9"));
    assert_null (fsh_user_check ("a"));
    assert_null (fsh_user_check ("9"));
    assert_null (fsh_user_check ("_x"));
    assert_null (fsh_user_check ("a-"));            //  only the first character is held
    assert_non_null (fsh_user_check (""));
    assert_non_null (fsh_user_check (NULL));
    assert_non_null (fsh_user_check ("-rf"));
    assert_non_null (fsh_user_check (".hidden"));
    assert_non_null (fsh_user_check ("."));
    assert_non_null (fsh_user_check (".."));
    assert_non_null (fsh_user_check ("a/b"));
    assert_non_null (fsh_user_check ("a b"));
    assert_non_null (fsh_user_check ("a\tb"));
    assert_non_null (fsh_user_check ("a\nb"));
    assert_non_null (fsh_user_check ("a:b"));
    assert_non_null (fsh_user_check ("a*"));
    assert_non_null (fsh_user_check ("caf\xc3\xa9"));
    assert_non_null (fsh_user_check ("x\xff"));
    assert_non_null (fsh_user_check ("\x7f"));
    //  FSH_USER_MAX characters are fine, one more is not
    char *name = s_repeat ('x', FSH_USER_MAX + 1);
    assert_string_equal (fsh_user_check (name), "user name too long");
    name [FSH_USER_MAX] = 0;
    assert_null (fsh_user_check (name));
    free (name);
}

static void
test_text (void **state)
{
    (void) state;
    assert_true (fsh_text_valid ("", 0));
    assert_true (fsh_text_valid ("plain", 5));
    assert_false (fsh_text_valid ("plain", 4));     //  one byte over
    assert_false (fsh_text_valid (NULL, 10));
    //  Multi-byte characters count in bytes: "é" is two
    assert_true (fsh_text_valid ("\xc3\xa9", 2));
    assert_false (fsh_text_valid ("\xc3\xa9", 1));
    //  The extremes of each sequence length
    assert_true (fsh_text_valid ("\xc2\x80", 8));                 //  U+0080
    assert_true (fsh_text_valid ("\xdf\xbf", 8));                 //  U+07FF
    assert_true (fsh_text_valid ("\xe0\xa0\x80", 8));             //  U+0800
    assert_true (fsh_text_valid ("\xef\xbf\xbf", 8));             //  U+FFFF
    assert_true (fsh_text_valid ("\xf0\x90\x80\x80", 8));         //  U+10000
    assert_true (fsh_text_valid ("\xf4\x8f\xbf\xbf", 8));         //  U+10FFFF
    assert_true (fsh_text_valid ("\xed\x9f\xbf", 8));             //  U+D7FF
    //  Broken: overlong forms, surrogates, beyond U+10FFFF, stray and
    //  missing continuation bytes, bytes that never occur
    const char *broken [] = {
        "\xc0\x80", "\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",
        "\xed\xa0\x80", "\xed\xbf\xbf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80",
        "\x80", "\xbf", "a\xc3", "\xc3" "a", "\xe2\x82", "\xe2\x82" "a", "\xf0\x9f\x98",
        "\xfe", "\xff",
        NULL
    };
    for (int i = 0; broken [i]; i++)
        if (fsh_text_valid (broken [i], 16))
            fail_msg ("broken UTF-8 #%d accepted", i);
    //  Control characters, DEL included; a NUL ends the C string
    for (int c = 1; c < 0x20; c++) {
        char text [4] = { 'a', (char) c, 'b', 0 };
        assert_false (fsh_text_valid (text, 16));
    }
    assert_false (fsh_text_valid ("a\x7f", 16));
    assert_true (fsh_text_valid ("a\x7e", 16));
    assert_true (fsh_text_valid ("a\0\x01", 16));
}

static void
test_paths (void **state)
{
    (void) state;
    assert_null (fsh_path_check ("a.txt"));
    assert_null (fsh_path_check ("dir/sub/a.txt"));
    assert_null (fsh_path_check ("caf\xc3\xa9/\xe2\x82\xac.txt"));
    assert_null (fsh_path_check ("..hidden"));
    assert_null (fsh_path_check ("..."));
    assert_null (fsh_path_check (".a/b."));
    assert_null (fsh_path_check ("a b/ c "));
    assert_non_null (fsh_path_check (NULL));
    assert_non_null (fsh_path_check (""));
    assert_non_null (fsh_path_check ("/"));
    assert_non_null (fsh_path_check ("/etc/passwd"));
    assert_non_null (fsh_path_check ("."));
    assert_non_null (fsh_path_check (".."));
    assert_non_null (fsh_path_check ("../x"));
    assert_non_null (fsh_path_check ("a/.."));
    assert_non_null (fsh_path_check ("a/../../x"));
    assert_non_null (fsh_path_check ("a/./x"));
    assert_non_null (fsh_path_check ("a//x"));
    assert_non_null (fsh_path_check ("a/"));
    assert_non_null (fsh_path_check ("a\nb"));
    assert_non_null (fsh_path_check ("a\rb"));
    assert_non_null (fsh_path_check ("\x1b[2J"));
    assert_non_null (fsh_path_check ("bad\xff"));
    assert_non_null (fsh_path_check ("overlong\xc0\xaf"));
    assert_non_null (fsh_path_check ("surrogate\xed\xa0\x80"));
    //  A backslash is an ordinary character, not a separator
    assert_null (fsh_path_check ("a\\..\\b"));

    //  Depth: FSH_DEPTH_MAX components, then one more
    char deep [FSH_DEPTH_MAX * 2 + 4] = "";
    for (int i = 0; i < FSH_DEPTH_MAX; i++)
        strcat (deep, i? "/a": "a");
    assert_null (fsh_path_check (deep));
    strcat (deep, "/a");
    assert_string_equal (fsh_path_check (deep), "path too deep");

    //  One component: FSH_NAME_MAX bytes, then one more
    char *name = s_repeat ('n', FSH_NAME_MAX + 1);
    assert_string_equal (fsh_path_check (name), "path component too long");
    name [FSH_NAME_MAX] = 0;
    assert_null (fsh_path_check (name));
    free (name);

    //  The whole path: FSH_PATH_MAX bytes, then one more
    char *path = s_repeat ('p', FSH_PATH_MAX + 1);
    for (size_t i = 200; i < FSH_PATH_MAX; i += 201)
        path [i] = '/';
    assert_string_equal (fsh_path_check (path), "path too long");
    path [FSH_PATH_MAX] = 0;
    assert_null (fsh_path_check (path));
    free (path);
}

static void
test_partial_names (void **state)
{
    (void) state;
    assert_true (fsh_path_is_partial (".a.txt.fshare-part"));
    assert_true (fsh_path_is_partial ("dir/.a.fshare-part"));
    assert_true (fsh_path_is_partial (".fshare-part"));
    assert_false (fsh_path_is_partial ("a.fshare-part"));
    assert_false (fsh_path_is_partial (".a.fshare-part.txt"));
    assert_false (fsh_path_is_partial (".a.fshare-par"));
    assert_false (fsh_path_is_partial ("fshare-part"));
    assert_false (fsh_path_is_partial (""));
    //  Only the last component counts
    assert_false (fsh_path_is_partial (".d.fshare-part/a.txt"));
    assert_true (fsh_path_is_partial ("a/b/.c.fshare-part"));
}

static void
test_files (void **state)
{
    (void) state;
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "ok.txt";
    assert_null (fsh_file_check (&file));
    assert_non_null (fsh_file_check (NULL));
    //  Size: up to INT64_MAX
    file.size = (uint64_t) INT64_MAX;
    assert_null (fsh_file_check (&file));
    file.size = (uint64_t) INT64_MAX + 1;
    assert_string_equal (fsh_file_check (&file), "file size out of range");
    file.size = UINT64_MAX;
    assert_non_null (fsh_file_check (&file));
    file.size = 1;
    //  Mtime: year 9999 both ways, not a second more
    file.mtime = 253402300800LL;
    assert_null (fsh_file_check (&file));
    file.mtime = -253402300800LL;
    assert_null (fsh_file_check (&file));
    file.mtime = 253402300801LL;
    assert_string_equal (fsh_file_check (&file), "mtime out of range");
    file.mtime = -253402300801LL;
    assert_non_null (fsh_file_check (&file));
    file.mtime = INT64_MAX;
    assert_non_null (fsh_file_check (&file));
    file.mtime = INT64_MIN;
    assert_non_null (fsh_file_check (&file));
    file.mtime = 0;
    //  Digest: none or exactly 32 bytes
    uint8_t digest [33] = { 0 };
    file.sha256.data = digest;
    for (size_t len = 0; len <= 33; len++) {
        file.sha256.len = len;
        if (len == 0 || len == 32)
            assert_null (fsh_file_check (&file));
        else
            assert_string_equal (fsh_file_check (&file), "digest not 32 bytes");
    }
    file.sha256.len = 0;
    //  Mode: permission bits only
    file.mode = 07777;
    assert_null (fsh_file_check (&file));
    file.mode = 010000;
    assert_string_equal (fsh_file_check (&file), "mode out of range");
    file.mode = UINT32_MAX;
    assert_non_null (fsh_file_check (&file));
    file.mode = 0644;
    //  Listed by a broker: never a partial download's name
    file.path = "d/.x.bin.fshare-part";
    assert_null (fsh_file_check (&file));
    assert_string_equal (fsh_listed_check (&file), "partial download names are never published");
    file.path = "d/x.bin";
    assert_null (fsh_listed_check (&file));
    assert_non_null (fsh_listed_check (NULL));
    //  The path rules apply
    file.path = "../x";
    assert_non_null (fsh_file_check (&file));
    assert_non_null (fsh_listed_check (&file));
    file.path = NULL;
    assert_non_null (fsh_file_check (&file));
}

//  An owner's Opened: the FileInfo's ranges, and a resume offset within
//  the size (at the size is a whole file already there, one more is not)
static void
test_opened (void **state)
{
    (void) state;
    Fshare__Opened opened = FSHARE__OPENED__INIT;
    assert_non_null (fsh_opened_check (NULL));
    assert_null (fsh_opened_check (&opened));
    opened.size = 100;
    opened.offset = 100;
    assert_null (fsh_opened_check (&opened));
    opened.offset = 101;
    assert_string_equal (fsh_opened_check (&opened), "offset beyond the size");
    opened.offset = UINT64_MAX;
    assert_non_null (fsh_opened_check (&opened));
    opened.offset = 0;
    opened.size = (uint64_t) INT64_MAX + 1;
    assert_string_equal (fsh_opened_check (&opened), "file size out of range");
    opened.size = 1;
    opened.mtime = 253402300801LL;
    assert_string_equal (fsh_opened_check (&opened), "mtime out of range");
    opened.mtime = 0;
    uint8_t digest [32] = { 0 };
    opened.sha256.data = digest;
    opened.sha256.len = 31;
    assert_string_equal (fsh_opened_check (&opened), "digest not 32 bytes");
    opened.sha256.len = 32;
    assert_null (fsh_opened_check (&opened));
    opened.mode = 010000;
    assert_string_equal (fsh_opened_check (&opened), "mode out of range");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_user_names),
        cmocka_unit_test (test_text),
        cmocka_unit_test (test_paths),
        cmocka_unit_test (test_partial_names),
        cmocka_unit_test (test_files),
        cmocka_unit_test (test_opened),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
