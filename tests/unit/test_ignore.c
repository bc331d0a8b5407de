/*  test_ignore.c - the ignore rules (their wildcards are test_glob.c's):
    anchoring, directory-only rules, negation
    across layers (the built-in defaults included), parent directories that
    cannot be re-included, parsing of whole files, refused lines.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "ignore.h"
#include "fshare.h"

static void
test_defaults (void **state)
{
    (void) state;
    ignore_t *ignore = ignore_new ();
    const char *ignored [] = {
        "f.txt~", "d/v.txt~", ".v.txt.swp", "d/.v.swx", "a.tmp", "d/e/x.tmp", ".#lock",
        "4913", "d/4913", ".goutputstream-XYZ12", "~$report.docx",
        //  emacs's auto-saves, LibreOffice's lock files (which name the
        //  user and the machine), vim's next swap files (a second vim of
        //  the same file, or a swap a crash left)
        "#notes.txt#", "d/#a.c#", ".~lock.report.odt#", "d/.~lock.b.ods#",
        ".v.txt.swo", "d/.v.swn", ".v.swa", NULL
    };
    for (const char **path = ignored; *path; path++) {
        if (!ignore_match (ignore, *path, false))
            print_message ("not ignored: %s\n", *path);
        assert_true (ignore_match (ignore, *path, false));
    }
    const char *kept [] = {
        "f.txt", "v.swp", "a.tmpl", "49130", "tmp", "~x", "d/report.docx", ".fshareignore",
        "#notes", "a#", "x#y", ".~lock.odt", "v.swo", ".v.swq", ".v.swz", NULL
    };
    for (const char **path = kept; *path; path++) {
        if (ignore_match (ignore, *path, false))
            print_message ("ignored: %s\n", *path);
        assert_false (ignore_match (ignore, *path, false));
    }
    //  A directory named like a temporary is ignored with all inside
    assert_true (ignore_match (ignore, "cache.tmp/file", false));
    assert_int_equal (ignore_count (ignore, IGNORE_DEFAULTS), 10);
    ignore_destroy (&ignore);
    assert_null (ignore);
}

static void
test_anchoring_and_dirs (void **state)
{
    (void) state;
    ignore_t *ignore = ignore_new ();
    assert_int_equal (ignore_set_text (ignore, IGNORE_FILE,
        "# comment\n"
        "\n"
        "/top.log\n"
        "build/\n"
        "doc/*.pdf\n"
        "**/secret\n"
        "logs/**\n"
        "name\n"), 0);
    assert_int_equal (ignore_count (ignore, IGNORE_FILE), 6);
    //  Anchored by a leading '/': the root only
    assert_true (ignore_match (ignore, "top.log", false));
    assert_false (ignore_match (ignore, "d/top.log", false));
    //  Directories only, at any level, with everything inside
    assert_true (ignore_match (ignore, "build", true));
    assert_false (ignore_match (ignore, "build", false));
    assert_true (ignore_match (ignore, "build/x.o", false));
    assert_true (ignore_match (ignore, "src/build/deep/x.o", false));
    //  A middle '/' anchors too
    assert_true (ignore_match (ignore, "doc/a.pdf", false));
    assert_false (ignore_match (ignore, "x/doc/a.pdf", false));
    assert_false (ignore_match (ignore, "doc/sub/a.pdf", false));
    assert_true (ignore_match (ignore, "secret", false));
    assert_true (ignore_match (ignore, "a/b/secret", true));
    assert_true (ignore_match (ignore, "a/b/secret/inside", false));
    assert_true (ignore_match (ignore, "logs/a/b", false));
    assert_false (ignore_match (ignore, "logs", false));
    //  No slash: a name at any level, file or directory
    assert_true (ignore_match (ignore, "name", false));
    assert_true (ignore_match (ignore, "a/name", false));
    assert_true (ignore_match (ignore, "a/name/b", false));
    assert_false (ignore_match (ignore, "a/names", false));
    //  ignore_match_entry looks at the entry alone
    assert_false (ignore_match_entry (ignore, "build/x.o", false));
    assert_true (ignore_match_entry (ignore, "src/build", true));
    ignore_destroy (&ignore);
}

static void
test_negation (void **state)
{
    (void) state;
    ignore_t *ignore = ignore_new ();
    assert_int_equal (ignore_set_text (ignore, IGNORE_FILE,
        "*.log\n"
        "!keep.log\n"
        "!*.tmp\n"
        "out/\n"
        "!out/wanted\n"
        "\\!bang\n"
        "\\#hash\n"), 0);
    assert_true (ignore_match (ignore, "a.log", false));
    assert_false (ignore_match (ignore, "keep.log", false));
    assert_false (ignore_match (ignore, "d/keep.log", false));
    //  Against the built-in defaults too
    assert_false (ignore_match (ignore, "x.tmp", false));
    assert_true (ignore_match (ignore, "x~", false));
    //  Nothing below an ignored directory comes back
    assert_true (ignore_match (ignore, "out/wanted", false));
    //  Escaped '!' and '#' are literal
    assert_true (ignore_match (ignore, "!bang", false));
    assert_false (ignore_match (ignore, "bang", false));
    assert_true (ignore_match (ignore, "#hash", false));
    //  The options come last: they win over the file
    assert_int_equal (ignore_add (ignore, IGNORE_OPTIONS, "keep.log"), 0);
    assert_true (ignore_match (ignore, "keep.log", false));
    assert_int_equal (ignore_add (ignore, IGNORE_OPTIONS, "!a.log"), 0);
    assert_false (ignore_match (ignore, "a.log", false));
    //  Replacing the file's layer drops its rules, not the others'
    assert_int_equal (ignore_set_text (ignore, IGNORE_FILE, NULL), 0);
    assert_int_equal (ignore_count (ignore, IGNORE_FILE), 0);
    assert_true (ignore_match (ignore, "x.tmp", false));
    assert_false (ignore_match (ignore, "b.log", false));
    assert_true (ignore_match (ignore, "keep.log", false));
    ignore_destroy (&ignore);
}

static void
test_parsing (void **state)
{
    (void) state;
    ignore_t *ignore = ignore_new ();
    //  CRLF lines, trailing spaces dropped unless escaped, last line
    //  without a newline
    assert_int_equal (ignore_set_text (ignore, IGNORE_FILE,
        "crlf\r\n"
        "spaces   \n"
        "kept\\ \n"
        "last"), 0);
    assert_true (ignore_match (ignore, "crlf", false));
    assert_true (ignore_match (ignore, "spaces", false));
    assert_false (ignore_match (ignore, "spaces ", false));
    assert_true (ignore_match (ignore, "kept ", false));
    assert_false (ignore_match (ignore, "kept", false));
    assert_true (ignore_match (ignore, "last", false));
    //  Lines that cannot be patterns are refused and counted
    assert_int_equal (ignore_set_text (ignore, IGNORE_FILE, "!\n/\n!/\nok\n"), 3);
    assert_int_equal (ignore_count (ignore, IGNORE_FILE), 1);
    assert_int_equal (ignore_add (ignore, IGNORE_OPTIONS, "!"), -1);
    assert_int_equal (ignore_add (ignore, IGNORE_OPTIONS, "# only a comment"), 0);
    assert_int_equal (ignore_add (ignore, IGNORE_OPTIONS, ""), 0);
    assert_int_equal (ignore_count (ignore, IGNORE_OPTIONS), 0);
    char *long_line = (char *) malloc (2000);
    memset (long_line, 'x', 1999);
    long_line [1999] = 0;
    assert_int_equal (ignore_add (ignore, IGNORE_OPTIONS, long_line), -1);
    free (long_line);
    //  A path too long to publish counts as ignored
    char *long_path = (char *) malloc (FSH_PATH_MAX + 10);
    memset (long_path, 'y', FSH_PATH_MAX + 9);
    long_path [FSH_PATH_MAX + 9] = 0;
    assert_true (ignore_match (ignore, long_path, false));
    free (long_path);
    ignore_destroy (&ignore);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_defaults),
        cmocka_unit_test (test_anchoring_and_dirs),
        cmocka_unit_test (test_negation),
        cmocka_unit_test (test_parsing),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
