/*  test_endpoint.c - proto/endpoint: which endpoints count as local (the
    secure-by-default rules of SPEC 3 and 6 rest on it, so a look-alike
    host must not pass), where state and control live, mkdir -p, the
    preparation of an ipc endpoint's directory, absolute paths.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include <pwd.h>
#include <sys/stat.h>

static void
test_local_endpoints (void **state)
{
    (void) state;
    const char *local [] = {
        "ipc:///tmp/x", "ipc://relative", "inproc://x",
        "tcp://127.0.0.1:5555", "tcp://127.1.2.3:*", "tcp://127.255.255.255:1",
        "tcp://[::1]:5555", "tcp://localhost:5555",
        //  source;destination: the destination decides
        "tcp://10.0.0.1:0;127.0.0.1:5555", "tcp://eth0;localhost:1",
        NULL
    };
    for (int i = 0; local [i]; i++)
        if (!fsh_endpoint_is_local (local [i]))
            fail_msg ("%s not taken as local", local [i]);
    const char *remote [] = {
        "tcp://*:5555", "tcp://0.0.0.0:5555", "tcp://10.0.0.1:5555", "tcp://128.0.0.1:1",
        "tcp://127.0.0.1.evil.com:5555", "tcp://127.0.0.1", "tcp://127.0.0.1 :1",
        "tcp://127.1.2.3.4:5", "tcp://127.0.0.256:1", "tcp://127.-1.0.0:1",
        "tcp://127.0.0.1:5555;10.0.0.1:1", "tcp://localhost.evil.com:5555",
        "tcp://localhost", "tcp://[::2]:5555", "tcp://[::1]", "tcp://eth0:5555",
        "tcp://", "udp://127.0.0.1:5555", "TCP://127.0.0.1:5555", "ipc:/x", "",
        "pgm://127.0.0.1:5555", "tcp:127.0.0.1:5555",
        NULL
    };
    for (int i = 0; remote [i]; i++)
        if (fsh_endpoint_is_local (remote [i]))
            fail_msg ("%s taken as local", remote [i]);
    assert_false (fsh_endpoint_is_local (NULL));
}

//  Sets or unsets (value NULL) one variable of the environment.
static void
s_env (const char *name, const char *value)
{
    if (value)
        assert_int_equal (setenv (name, value, 1), 0);
    else
        assert_int_equal (unsetenv (name), 0);
}

//  Endpoints from the command line are checked before libzmq sees them:
//  it takes port 99999 as 34463 and -5 as 65531, and binds them.
static void
test_invalid_endpoints (void **state)
{
    (void) state;
    const char *good_both [] = {
        "tcp://127.0.0.1:5555", "tcp://localhost:1", "tcp://[::1]:65535",
        "tcp://host-name.example_x:80", "ipc:///tmp/x.ipc", "ipc://@abstract",
        NULL
    };
    for (int i = 0; good_both [i]; i++) {
        assert_null (fsh_endpoint_invalid (good_both [i], true));
        assert_null (fsh_endpoint_invalid (good_both [i], false));
    }
    assert_null (fsh_endpoint_invalid ("tcp://*:5555", true));
    assert_null (fsh_endpoint_invalid ("tcp://127.0.0.1:*", true));
    assert_non_null (fsh_endpoint_invalid ("tcp://*:5555", false));
    assert_non_null (fsh_endpoint_invalid ("tcp://127.0.0.1:*", false));
    assert_null (fsh_endpoint_invalid ("tcp://127.0.0.2;127.0.0.1:5555", false));
    assert_null (fsh_endpoint_invalid ("tcp://127.0.0.2:0;127.0.0.1:5555", false));
    assert_non_null (fsh_endpoint_invalid ("tcp://127.0.0.2;127.0.0.1:5555", true));
    //  The source's port is checked as the destination's is (0 and '*': any)
    const char *good_sources [] = {
        "tcp://127.0.0.2:*;127.0.0.1:5555", "tcp://127.0.0.2:65535;127.0.0.1:5555",
        "tcp://[::1];[::1]:5555", "tcp://[::1]:4000;[::1]:5555", "tcp://eth0;localhost:1", NULL
    };
    for (int i = 0; good_sources [i]; i++)
        assert_null (fsh_endpoint_invalid (good_sources [i], false));
    const char *bad_sources [] = {
        "tcp://127.0.0.2:;127.0.0.1:5555", "tcp://127.0.0.2:x;127.0.0.1:5555",
        "tcp://127.0.0.2:65536;127.0.0.1:5555", "tcp://127.0.0.2:-1;127.0.0.1:5555",
        "tcp://127.0.0.2:123456;127.0.0.1:5555", "tcp://127.0.0.2:1x;127.0.0.1:5555",
        "tcp://[::1]:;[::1]:5555", "tcp://[::1]:99999;[::1]:5555", NULL
    };
    for (int i = 0; bad_sources [i]; i++) {
        const char *why = fsh_endpoint_invalid (bad_sources [i], false);
        if (!why || !strstr (why, "source port"))
            fail_msg ("%s: %s", bad_sources [i], why? why: "accepted");
    }

    char long_ipc [200] = "ipc://";
    memset (long_ipc + 6, 'a', 107);
    assert_null (fsh_endpoint_invalid (long_ipc, true));
    long_ipc [6 + 107] = 'a';
    assert_non_null (fsh_endpoint_invalid (long_ipc, true));

    const char *bad [] = {
        NULL, "", "-1", "5555", "127.0.0.1:5555", "tcp://", "tcp://127.0.0.1",
        "tcp://127.0.0.1:", "tcp://127.0.0.1:0", "tcp://127.0.0.1:65536",
        "tcp://127.0.0.1:99999", "tcp://127.0.0.1:-5", "tcp://127.0.0.1:+5",
        "tcp://127.0.0.1: 5", "tcp://127.0.0.1:5x", "tcp://127.0.0.1:0x10",
        "tcp://[::1", "tcp://[::1]", "tcp://[zz]:5", "tcp://:5555", "tcp://a b:5",
        "tcp://a\nb:5", "tcp://a/b:5", "tcp://host\xff:5", "ipc://", "inproc://", "inproc://a",
        "pgm://eth0;239.192.1.1:5555", "udp://127.0.0.1:5", "TCP://127.0.0.1:5",
        "ipc:///tmp/a\nb", NULL
    };
    for (int i = 1; bad [i]; i++) {
        assert_non_null (fsh_endpoint_invalid (bad [i], true));
        assert_non_null (fsh_endpoint_invalid (bad [i], false));
    }
    assert_non_null (fsh_endpoint_invalid (NULL, true));
    //  What is allowed, and only that
    assert_string_equal (fsh_endpoint_invalid ("inproc://x", false),
                         "not a tcp:// or ipc:// endpoint");
    assert_non_null (fsh_endpoint_invalid ("tcp://127.0.0.1:5555\x01", false));
}

//  A home, or XDG_STATE_HOME's parent, that does not exist is no place
//  for state: NULL, and the problem names it (it was created, whole chain)
static void
test_state_dir_missing_home (void **state)
{
    (void) state;
    char *home = getenv ("HOME")? strdup (getenv ("HOME")): NULL;
    char *xdg = getenv ("XDG_STATE_HOME")? strdup (getenv ("XDG_STATE_HOME")): NULL;
    s_env ("XDG_STATE_HOME", NULL);
    s_env ("HOME", "/nonexistent/fshare-test-home");
    assert_null (fsh_state_dir ());
    char *why = fsh_state_dir_problem ();
    assert_non_null (why);
    assert_non_null (strstr (why, "the home directory /nonexistent/fshare-test-home "
                                  "does not exist"));
    zstr_free (&why);
    s_env ("HOME", "/etc/passwd");
    assert_null (fsh_state_dir ());
    why = fsh_state_dir_problem ();
    assert_non_null (strstr (why, "is not a directory"));
    zstr_free (&why);
    s_env ("XDG_STATE_HOME", "/nonexistent/fshare-test/state");
    assert_null (fsh_state_dir ());
    why = fsh_state_dir_problem ();
    assert_non_null (strstr (why, "XDG_STATE_HOME's parent directory /nonexistent/fshare-test"));
    zstr_free (&why);
    //  XDG_STATE_HOME itself may be missing: below an existing parent it is ours
    s_env ("XDG_STATE_HOME", "/nonexistent-state");
    char *dir = fsh_state_dir ();
    assert_string_equal (dir, "/nonexistent-state/fshare");
    assert_null (fsh_state_dir_problem ());
    zstr_free (&dir);
    s_env ("XDG_STATE_HOME", xdg);
    s_env ("HOME", home);
    free (xdg);
    free (home);
}

static void
test_directories (void **state)
{
    (void) state;
    char *home = getenv ("HOME")? strdup (getenv ("HOME")): NULL;
    s_env ("XDG_RUNTIME_DIR", "/run/user/42");
    char *endpoint = fsh_control_endpoint ("bob");
    assert_string_equal (endpoint, "ipc:///run/user/42/fshare/bob.ctl");
    zstr_free (&endpoint);
    //  Unset, empty or relative: the fallback
    char *expected = zsys_sprintf ("/tmp/fshare-%u", (unsigned) getuid ());
    const char *fallbacks [] = { NULL, "", "run/user/42" };
    for (int i = 0; i < 3; i++) {
        s_env ("XDG_RUNTIME_DIR", fallbacks [i]);
        char *dir = fsh_control_dir ();
        assert_string_equal (dir, expected);
        zstr_free (&dir);
    }
    zstr_free (&expected);

    s_env ("XDG_STATE_HOME", "/var/state");
    char *dir = fsh_state_dir ();
    assert_string_equal (dir, "/var/state/fshare");
    zstr_free (&dir);
    s_env ("XDG_STATE_HOME", "relative");
    s_env ("HOME", "/");            //  a home that exists
    dir = fsh_state_dir ();
    assert_string_equal (dir, "//.local/state/fshare");
    zstr_free (&dir);
    //  No HOME (nor a relative one): the password database's home, never
    //  the current directory ("./.local/state/fshare" before); one that
    //  does not exist counts as none
    struct passwd *entry = getpwuid (getuid ());
    struct stat st;
    char *from_db = entry && entry->pw_dir [0] == '/'
                 && stat (entry->pw_dir, &st) == 0 && S_ISDIR (st.st_mode)?
                    zsys_sprintf ("%s/.local/state/fshare", entry->pw_dir): NULL;
    const char *homeless [] = { NULL, "", "relative/home" };
    s_env ("XDG_STATE_HOME", NULL);
    for (int i = 0; i < 3; i++) {
        s_env ("HOME", homeless [i]);
        dir = fsh_state_dir ();
        if (from_db)
            assert_string_equal (dir, from_db);
        else
            assert_null (dir);
        zstr_free (&dir);
    }
    zstr_free (&from_db);
    s_env ("HOME", home);
    free (home);
}

static void
test_path_absolute (void **state)
{
    (void) state;
    char cwd [PATH_MAX];
    assert_non_null (getcwd (cwd, sizeof cwd));
    char *path = fsh_path_absolute ("/a/b//");
    assert_string_equal (path, "/a/b");
    zstr_free (&path);
    path = fsh_path_absolute ("/");
    assert_string_equal (path, "/");
    zstr_free (&path);
    path = fsh_path_absolute ("///");
    assert_string_equal (path, "/");
    zstr_free (&path);
    //  No link is resolved, no ".." folded: lexical only
    path = fsh_path_absolute ("/a/../b");
    assert_string_equal (path, "/a/../b");
    zstr_free (&path);
    path = fsh_path_absolute ("rel/dir/");
    char *expected = zsys_sprintf ("%s/rel/dir", cwd);
    assert_string_equal (path, expected);
    zstr_free (&expected);
    zstr_free (&path);
}

static int
s_remove_tree (const char *base)
{
    char *command = zsys_sprintf ("rm -rf '%s'", base);
    int rc = system (command);
    zstr_free (&command);
    return rc;
}

static void
test_mkdirs (void **state)
{
    (void) state;
    char base [] = "/tmp/fshare-test-endpoint-XXXXXX";
    assert_non_null (mkdtemp (base));
    char *deep = zsys_sprintf ("%s/a/b/c", base);
    mode_t mask = umask (022);
    assert_int_equal (fsh_mkdirs (deep, 0700), 0);
    struct stat st;
    assert_int_equal (stat (deep, &st), 0);
    assert_true (S_ISDIR (st.st_mode));
    assert_int_equal (st.st_mode & 0777, 0700);
    char *middle = zsys_sprintf ("%s/a", base);
    assert_int_equal (stat (middle, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    assert_int_equal (fsh_mkdirs (deep, 0700), 0);     //  exists: fine
    char *slashed = zsys_sprintf ("%s/x//y/", base);
    assert_int_equal (fsh_mkdirs (slashed, 0700), 0);
    char *file = zsys_sprintf ("%s/file", base);
    FILE *out = fopen (file, "w");
    assert_non_null (out);
    fclose (out);
    errno = 0;
    assert_int_equal (fsh_mkdirs (file, 0700), -1);    //  a file in the way
    assert_int_equal (errno, ENOTDIR);
    char *below = zsys_sprintf ("%s/file/sub", base);
    assert_int_equal (fsh_mkdirs (below, 0700), -1);   //  ... or above
    umask (mask);
    assert_int_equal (s_remove_tree (base), 0);
    zstr_free (&below);
    zstr_free (&file);
    zstr_free (&slashed);
    zstr_free (&middle);
    zstr_free (&deep);
}

static void
test_endpoint_prepare (void **state)
{
    (void) state;
    char base [] = "/tmp/fshare-test-endpoint-XXXXXX";
    assert_non_null (mkdtemp (base));
    //  Other transports and bare names: nothing to create
    assert_null (fsh_endpoint_prepare ("tcp://127.0.0.1:5555"));
    assert_null (fsh_endpoint_prepare ("inproc://x"));
    assert_null (fsh_endpoint_prepare ("ipc://bare"));
    assert_null (fsh_endpoint_prepare ("ipc:///root-level"));
    char *endpoint = zsys_sprintf ("ipc://%s/x/y.ctl", base);
    assert_null (fsh_endpoint_prepare (endpoint));
    char *dir = zsys_sprintf ("%s/x", base);
    struct stat st;
    assert_int_equal (stat (dir, &st), 0);
    assert_true (S_ISDIR (st.st_mode));
    assert_int_equal (st.st_mode & 077, 0);
    //  A file where the directory should be
    char *blocked = zsys_sprintf ("ipc://%s/x/y.ctl/z.ctl", base);
    assert_int_equal (mkdir (endpoint + 6, 0700), 0);
    assert_int_equal (rmdir (endpoint + 6), 0);
    FILE *out = fopen (endpoint + 6, "w");
    assert_non_null (out);
    fclose (out);
    assert_non_null (fsh_endpoint_prepare (blocked));
    //  A directory that belongs to someone else is refused (root can
    //  make one; others cannot, and skip this part)
    if (getuid () == 0) {
        char *theirs = zsys_sprintf ("%s/theirs", base);
        assert_int_equal (mkdir (theirs, 0700), 0);
        assert_int_equal (chown (theirs, 4242, 4242), 0);
        char *their_endpoint = zsys_sprintf ("ipc://%s/a.ctl", theirs);
        const char *why = fsh_endpoint_prepare (their_endpoint);
        assert_non_null (why);
        assert_non_null (strstr (why, "another user"));
        zstr_free (&their_endpoint);
        zstr_free (&theirs);
    }
    //  Ours, but others may write into it: they could plant a link where
    //  the log or socket goes
    char *open_dir = zsys_sprintf ("%s/open", base);
    assert_int_equal (mkdir (open_dir, 0700), 0);
    assert_int_equal (chmod (open_dir, 0777), 0);
    const char *why = fsh_private_dir (open_dir);
    assert_non_null (why);
    assert_non_null (strstr (why, "group or others may write"));
    assert_int_equal (chmod (open_dir, 0720), 0);
    assert_non_null (fsh_private_dir (open_dir));
    assert_int_equal (chmod (open_dir, 0755), 0);
    assert_null (fsh_private_dir (open_dir));
    zstr_free (&open_dir);
    assert_int_equal (s_remove_tree (base), 0);
    zstr_free (&blocked);
    zstr_free (&dir);
    zstr_free (&endpoint);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_local_endpoints),
        cmocka_unit_test (test_invalid_endpoints),
        cmocka_unit_test (test_directories),
        cmocka_unit_test (test_state_dir_missing_home),
        cmocka_unit_test (test_path_absolute),
        cmocka_unit_test (test_mkdirs),
        cmocka_unit_test (test_endpoint_prepare),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
