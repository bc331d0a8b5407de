/*  test_glob.c - path globs of get (proto/glob.c): `*` and `?` within a
    component, `**` across, classes, quoting, and the fixed leading part.
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
        cmocka_unit_test (test_prefix),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
