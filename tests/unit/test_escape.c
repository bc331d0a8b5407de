/*  test_escape.c - proto/escape: what a terminal may show of others' text.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include "escape.h"

static void
s_check (const char *text, const char *shown)
{
    char *escaped = fsh_text_escape (text);
    assert_non_null (escaped);
    assert_string_equal (escaped, shown);
    free (escaped);
}

static void
test_plain_text_stays (void **state)
{
    (void) state;
    s_check ("report.pdf", "report.pdf");
    s_check ("dir/caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.txt", "dir/caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.txt");
    s_check ("back\\slash", "back\\slash");
    s_check ("", "");
    s_check (NULL, "");
    s_check ("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");          //  U+1F600
}

static void
test_controls (void **state)
{
    (void) state;
    s_check ("a\x1b[2Jb", "a\\x1b[2Jb");
    s_check ("line\nbreak\r\t", "line\\x0abreak\\x0d\\x09");
    s_check ("del\x7f", "del\\x7f");
    s_check ("c1\xc2\x9b" "31m", "c1\\u009b31m");           //  CSI as C1
    s_check ("\xc2\x80\xc2\x9f\xc2\xa0", "\\u0080\\u009f\xc2\xa0");
}

static void
test_bidi (void **state)
{
    (void) state;
    s_check ("evil\xe2\x80\xaetxt.exe", "evil\\u202etxt.exe");   //  RLO
    s_check ("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
             "\\u202a\\u202b\\u202c\\u202d");
    s_check ("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
             "\\u2066\\u2067\\u2068\\u2069");
    s_check ("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c");
    s_check ("\xe2\x80\xaf", "\xe2\x80\xaf");                  //  U+202F is a space
}

static void
test_bad_utf8 (void **state)
{
    (void) state;
    s_check ("\xff\xfe", "\\xff\\xfe");
    s_check ("\xc0\xaf", "\\xc0\\xaf");                        //  overlong '/'
    s_check ("\xed\xa0\x80", "\\xed\\xa0\\x80");               //  a surrogate
    s_check ("cut\xe2\x80", "cut\\xe2\\x80");                  //  truncated
    s_check ("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");      //  beyond U+10FFFF
}

static void
test_into_a_buffer (void **state)
{
    (void) state;
    char buf [8];
    assert_string_equal (fsh_text_escape_into ("abc", buf, sizeof buf), "abc");
    //  Only whole escapes fit: "ab\x1bc" takes 7 bytes and the NUL
    assert_string_equal (fsh_text_escape_into ("ab\x1b" "cd", buf, sizeof buf), "ab\\x1bc");
    assert_string_equal (fsh_text_escape_into ("\x1b\x1b", buf, 5), "\\x1b");
    assert_string_equal (fsh_text_escape_into ("x", buf, 1), "");
    //  The worst case fits the allocation: every byte a control
    char worst [256];
    memset (worst, '\x01', sizeof worst - 1);
    worst [sizeof worst - 1] = 0;
    char *escaped = fsh_text_escape (worst);
    assert_int_equal (strlen (escaped), 4 * (sizeof worst - 1));
    free (escaped);
}

//  JSON text: C1 and bidi become JSON escapes, nothing else changes
static void
test_json_unhide (void **state)
{
    (void) state;
    char *text = fsh_json_unhide ("{\"path\":\"inv\xe2\x80\xae" "fdp \xc2\x9b" "2J \xc3\xa9 \\u0041\"}");
    assert_string_equal (text, "{\"path\":\"inv\\u202efdp \\u009b2J \xc3\xa9 \\u0041\"}");
    free (text);
    text = fsh_json_unhide ("");
    assert_string_equal (text, "");
    free (text);
    unsigned code = 0;
    assert_int_equal (fsh_text_hidden ("\xe2\x81\xa9x", 4, &code), 3);
    assert_int_equal (code, 0x2069);
    assert_int_equal (fsh_text_hidden ("\xe2\x81", 2, &code), 0);
    assert_int_equal (fsh_text_hidden ("\xc3\xa9", 2, &code), 0);
    assert_int_equal (fsh_text_hidden ("a", 1, &code), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_plain_text_stays),
        cmocka_unit_test (test_controls),
        cmocka_unit_test (test_bidi),
        cmocka_unit_test (test_bad_utf8),
        cmocka_unit_test (test_into_a_buffer),
        cmocka_unit_test (test_json_unhide),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
