/*  test_dlrequest.c - a ctl's "get", checked, and where its file goes
    (peer/dlrequest.c): the arguments the protocol would refuse; without
    -o the downloads directory (re-created when missing) and the base
    name; -o naming a directory, a file (named: no "already there"
    search), a relative path, and a directory-looking name that is not
    there.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "dlrequest.h"
#include <sys/stat.h>

static dlrequest_t *
s_get (const char *owner, const char *path, const char *output, const char *downloads,
       fsh_err_t *code, char **error)
{
    Fshare__CtlRequest request = FSHARE__CTL_REQUEST__INIT;
    char *args [2] = { (char *) owner, (char *) path };
    request.args = args;
    request.n_args = owner? 2: 1;
    request.output = (char *) output;
    return dlrequest_new (&request, downloads, "me", code, error);
}

static void
test_refused (void **state)
{
    (void) state;
    fsh_err_t code = FSH_ERR_NONE;
    char *error = NULL;
    assert_null (s_get (NULL, "a.txt", NULL, "/tmp", &code, &error));
    assert_int_equal (code, FSH_ERR_BAD_REQUEST);
    assert_string_equal (error, "get needs OWNER and PATH");
    zstr_free (&error);
    //  ...and no more: a third word is no part of any get
    Fshare__CtlRequest three = FSHARE__CTL_REQUEST__INIT;
    char *words [3] = { "alice", "a.txt", "b.txt" };
    three.args = words;
    three.n_args = 3;
    code = FSH_ERR_NONE;
    assert_null (dlrequest_new (&three, "/tmp", "me", &code, &error));
    assert_int_equal (code, FSH_ERR_BAD_REQUEST);
    assert_string_equal (error, "get needs OWNER and PATH");
    zstr_free (&error);
    const char *paths [] = { "../etc/passwd", "/abs", "a//b", "", "a/./b", "bad\nname" };
    for (size_t i = 0; i < sizeof paths / sizeof paths [0]; i++) {
        code = FSH_ERR_NONE;
        assert_null (s_get ("alice", paths [i], NULL, "/tmp", &code, &error));
        assert_int_equal (code, FSH_ERR_BAD_REQUEST);
        assert_non_null (strstr (error, "invalid request: "));
        zstr_free (&error);
    }
    assert_null (s_get ("", "a.txt", NULL, "/tmp", &code, &error));
    assert_non_null (strstr (error, "invalid request: "));
    zstr_free (&error);
    //  A partial download's name is never published: unknown, not asked
    assert_null (s_get ("alice", "d/.a.txt.fshare-part", NULL, "/tmp", &code, &error));
    assert_int_equal (code, FSH_ERR_UNKNOWN_FILE);
    assert_string_equal (error, "unknown file");
    zstr_free (&error);
    assert_null (s_get ("alice", "a.txt", "relative/out", "/tmp", &code, &error));
    assert_string_equal (error, "-o: not an absolute path");
    zstr_free (&error);
    //  Absolute, but no text: said so, not "not an absolute path"
    const char *no_text [] = { "/tmp/\xc3", "/tmp/a\tb", "/tmp/\x7f" };
    for (size_t i = 0; i < sizeof no_text / sizeof no_text [0]; i++) {
        assert_null (s_get ("alice", "a.txt", no_text [i], "/tmp", &code, &error));
        assert_int_equal (code, FSH_ERR_BAD_REQUEST);
        assert_string_equal (error,
            "-o: a path that is not valid UTF-8 or holds a control character");
        zstr_free (&error);
    }
    char *long_path = zsys_sprintf ("/%0*d", FSH_PATH_MAX, 0);
    assert_null (s_get ("alice", "a.txt", long_path, "/tmp", &code, &error));
    assert_string_equal (error, "-o: a path longer than 4096 bytes");
    zstr_free (&error);
    zstr_free (&long_path);
    assert_null (s_get ("alice", "a.txt", "/no-such-dir-here/", "/tmp", &code, &error));
    assert_string_equal (error, "-o /no-such-dir-here/: no such directory");
    zstr_free (&error);
}

static void
test_destination (void **state)
{
    (void) state;
    char top [] = "/tmp/fshare-test-dlrequest-XXXXXX";
    assert_non_null (mkdtemp (top));
    char *downloads = zsys_sprintf ("%s/dl/inner", top);
    fsh_err_t code;
    char *error = NULL;
    //  No -o: the downloads directory, made when missing, and the base name
    dlrequest_t *asked = s_get ("alice", "docs/report.pdf", NULL, downloads, &code, &error);
    assert_non_null (asked);
    assert_null (error);
    assert_string_equal (asked->owner, "alice");
    assert_string_equal (asked->path, "docs/report.pdf");
    assert_string_equal (asked->dir, downloads);
    assert_string_equal (asked->name, "report.pdf");
    assert_false (asked->named);
    struct stat st;
    assert_int_equal (stat (downloads, &st), 0);
    assert_true (S_ISDIR (st.st_mode));
    dlrequest_destroy (&asked);
    assert_null (asked);
    //  -o an existing directory: the base name there
    asked = s_get ("alice", "docs/report.pdf", top, downloads, &code, &error);
    assert_string_equal (asked->dir, top);
    assert_string_equal (asked->name, "report.pdf");
    assert_false (asked->named);
    dlrequest_destroy (&asked);
    //  -o a file name: named
    char *output = zsys_sprintf ("%s/copy.pdf", top);
    asked = s_get ("alice", "docs/report.pdf", output, downloads, &code, &error);
    assert_string_equal (asked->dir, top);
    assert_string_equal (asked->name, "copy.pdf");
    assert_true (asked->named);
    dlrequest_destroy (&asked);
    zstr_free (&output);
    asked = s_get ("alice", "report.pdf", "/report-copy.pdf", downloads, &code, &error);
    assert_string_equal (asked->dir, "/");
    assert_string_equal (asked->name, "report-copy.pdf");
    dlrequest_destroy (&asked);
    rmdir (downloads);
    char *dl = zsys_sprintf ("%s/dl", top);
    rmdir (dl);
    zstr_free (&dl);
    zstr_free (&downloads);
    assert_int_equal (rmdir (top), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_refused),
        cmocka_unit_test (test_destination),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
