/*  test_glob.c - path patterns (proto/glob.c), of get's globs and of the
    ignore rules: `*` and `?` within a component, `**` across, classes,
    quoting, UTF-8, bounded backtracking, and the fixed leading part.
*/
#include "fshare.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static void
test_match (void **state)
{
    (void) state;
    assert_true (fsh_glob_match ("*.txt", "a.txt"));
    assert_false (fsh_glob_match ("*.txt", "d/a.txt"));
    assert_true (fsh_glob_match ("d/*.txt", "d/a.txt"));
    //  A trailing * stays in its component too: "d/*" is d's own files
    assert_true (fsh_glob_match ("d/*", "d/a.txt"));
    assert_false (fsh_glob_match ("d/*", "d/x/a.txt"));
    assert_false (fsh_glob_match ("*", "d/a.txt"));
    assert_false (fsh_glob_match ("d/?.txt", "d/ab.txt"));
    assert_true (fsh_glob_match ("d/??.txt", "d/ab.txt"));
    assert_false (fsh_glob_match ("d?a.txt", "d/a.txt"));
    assert_true (fsh_glob_match ("**/*.txt", "a.txt"));
    assert_true (fsh_glob_match ("**/*.txt", "x/y/z/a.txt"));
    assert_true (fsh_glob_match ("docs/**/*.pdf", "docs/a.pdf"));
    assert_true (fsh_glob_match ("docs/**/*.pdf", "docs/x/y/a.pdf"));
    assert_false (fsh_glob_match ("docs/**/*.pdf", "other/x/a.pdf"));
    assert_true (fsh_glob_match ("docs/**", "docs/x/y"));
    assert_true (fsh_glob_match ("[ab]*.c", "b1.c"));
    assert_false (fsh_glob_match ("[!ab]*.c", "b1.c"));
    assert_true (fsh_glob_match ("\\*.c", "*.c"));
    assert_false (fsh_glob_match ("\\*.c", "x.c"));
    assert_false (fsh_glob_match ("[a/b]", "/"));
    assert_true (fsh_glob_match ("plain", "plain"));
    assert_false (fsh_glob_match ("plain", "plainer"));
    //  Pathological patterns stay quick (each ** only tries each position)
    assert_false (fsh_glob_match ("**a**a**a**a**a**a**b",
                                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    char deep [200] = "";
    for (int level = 0; level < 60; level++)
        strcat (deep, "a/");
    strcat (deep, "y");
    assert_false (fsh_glob_match ("**/**/**/**/**/**/**/**/**/**/x", deep));
    assert_false (fsh_glob_match ("**/a*a*a*a*a*a*a*a*b/**/x", deep));
    assert_true (fsh_glob_match ("**/**/**/a/**/y", deep));
}

//  The cases of gitignore's wildcards, as the ignore rules use them
static void
test_gitignore_wildcards (void **state)
{
    (void) state;
    assert_true (fsh_glob_match ("*.c", "a.c"));
    assert_true (fsh_glob_match ("*.c", ".c"));
    assert_false (fsh_glob_match ("*.c", "a/b.c"));       //  * stops at '/'
    assert_false (fsh_glob_match ("*.c", "a.cc"));
    assert_true (fsh_glob_match ("a?c", "abc"));
    assert_false (fsh_glob_match ("a?c", "a/c"));
    assert_false (fsh_glob_match ("a?c", "ac"));
    assert_true (fsh_glob_match ("a?c", "a\xc3\xa9" "c"));     //  one UTF-8 character
    assert_true (fsh_glob_match ("[abc]x", "bx"));
    assert_false (fsh_glob_match ("[abc]x", "dx"));
    assert_true (fsh_glob_match ("[a-c]x", "cx"));
    assert_true (fsh_glob_match ("[!a-c]x", "dx"));
    assert_true (fsh_glob_match ("[^a-c]x", "dx"));
    assert_false (fsh_glob_match ("[!a-c]x", "ax"));
    assert_true (fsh_glob_match ("[]]x", "]x"));
    assert_false (fsh_glob_match ("[a/]x", "/x"));         //  never a '/'
    assert_true (fsh_glob_match ("[ab", "[ab"));           //  no ']': literal
    //  Escapes
    assert_true (fsh_glob_match ("\\*x", "*x"));
    assert_false (fsh_glob_match ("\\*x", "ax"));
    assert_true (fsh_glob_match ("a\\?", "a?"));
    assert_false (fsh_glob_match ("a\\?", "ab"));
    assert_true (fsh_glob_match ("\\[x]", "[x]"));
    //  Double stars
    assert_true (fsh_glob_match ("**/foo", "foo"));
    assert_true (fsh_glob_match ("**/foo", "a/b/foo"));
    assert_false (fsh_glob_match ("**/foo", "a/xfoo"));
    assert_true (fsh_glob_match ("a/**", "a/b"));
    assert_true (fsh_glob_match ("a/**", "a/b/c"));
    assert_false (fsh_glob_match ("a/**", "a"));
    assert_false (fsh_glob_match ("a/**", "ab/c"));
    assert_true (fsh_glob_match ("a/**/b", "a/b"));
    assert_true (fsh_glob_match ("a/**/b", "a/x/y/b"));
    assert_false (fsh_glob_match ("a/**/b", "a/x/yb"));
    assert_true (fsh_glob_match ("a**b", "axxb"));         //  not a component: one star
    assert_false (fsh_glob_match ("a**b", "ax/xb"));
    //  Pathological backtracking stays bounded
    assert_false (fsh_glob_match ("*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void
test_prefix (void **state)
{
    (void) state;
    assert_int_equal (fsh_glob_prefix ("docs/2024/*.pdf"), strlen ("docs/2024/"));
    assert_int_equal (fsh_glob_prefix ("*.pdf"), 0);
    assert_int_equal (fsh_glob_prefix ("docs/**/x"), strlen ("docs/"));
    assert_int_equal (fsh_glob_prefix ("a/b?/c"), strlen ("a/"));
    assert_true (fsh_glob_is_pattern ("a/*"));
    assert_false (fsh_glob_is_pattern ("a/b"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_match),
        cmocka_unit_test (test_gitignore_wildcards),
        cmocka_unit_test (test_prefix),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
