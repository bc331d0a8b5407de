/*  test_proto.c - the shared protocol library: validation rules, endpoint
    classification, config files as options, wire decoding of bad input,
    event rendering.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include "ratelog.h"
#include "idtable.h"
#include <jansson.h>

static void
test_user_names (void **state)
{
    (void) state;
    assert_null (fsh_user_check ("alice"));
    assert_null (fsh_user_check ("a.b_c-9"));
    assert_non_null (fsh_user_check (""));
    assert_non_null (fsh_user_check (NULL));
    assert_non_null (fsh_user_check ("-rf"));
    assert_non_null (fsh_user_check (".hidden"));
    assert_non_null (fsh_user_check ("a/b"));
    assert_non_null (fsh_user_check ("a b"));
    assert_non_null (fsh_user_check ("caf\xc3\xa9"));
    char longer [FSH_USER_MAX + 2];
    memset (longer, 'x', sizeof longer - 1);
    longer [sizeof longer - 1] = 0;
    assert_non_null (fsh_user_check (longer));
    longer [FSH_USER_MAX] = 0;
    assert_null (fsh_user_check (longer));
}

static void
test_paths (void **state)
{
    (void) state;
    assert_null (fsh_path_check ("a.txt"));
    assert_null (fsh_path_check ("dir/sub/a.txt"));
    assert_null (fsh_path_check ("caf\xc3\xa9/\xe2\x82\xac.txt"));
    assert_null (fsh_path_check ("..hidden"));
    assert_non_null (fsh_path_check (""));
    assert_non_null (fsh_path_check ("/etc/passwd"));
    assert_non_null (fsh_path_check ("../x"));
    assert_non_null (fsh_path_check ("a/../../x"));
    assert_non_null (fsh_path_check ("a/./x"));
    assert_non_null (fsh_path_check ("a//x"));
    assert_non_null (fsh_path_check ("a/"));
    assert_non_null (fsh_path_check ("a\nb"));
    assert_non_null (fsh_path_check ("bad\xff"));
    assert_non_null (fsh_path_check ("overlong\xc0\xaf"));
    assert_non_null (fsh_path_check ("surrogate\xed\xa0\x80"));
    char deep [FSH_DEPTH_MAX * 2 + 4] = "";
    for (int i = 0; i <= FSH_DEPTH_MAX; i++)
        strcat (deep, i? "/a": "a");
    assert_non_null (fsh_path_check (deep));
    char name [FSH_NAME_MAX + 2];
    memset (name, 'n', sizeof name - 1);
    name [sizeof name - 1] = 0;
    assert_non_null (fsh_path_check (name));

    assert_true (fsh_path_is_partial (".a.txt.fshare-part"));
    assert_true (fsh_path_is_partial ("dir/.a.fshare-part"));
    assert_false (fsh_path_is_partial ("a.fshare-part"));
    assert_false (fsh_path_is_partial (".a.fshare-part.txt"));

    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "ok.txt";
    assert_null (fsh_file_check (&file));
    file.size = (uint64_t) INT64_MAX + 1;
    assert_non_null (fsh_file_check (&file));
    file.size = 1;
    file.mtime = INT64_MAX;
    assert_non_null (fsh_file_check (&file));
    assert_non_null (fsh_file_check (NULL));
}

static void
test_endpoints (void **state)
{
    (void) state;
    assert_true (fsh_endpoint_is_local ("ipc:///tmp/x"));
    assert_true (fsh_endpoint_is_local ("inproc://x"));
    assert_true (fsh_endpoint_is_local ("tcp://127.0.0.1:5555"));
    assert_true (fsh_endpoint_is_local ("tcp://127.1.2.3:*"));
    assert_true (fsh_endpoint_is_local ("tcp://[::1]:5555"));
    assert_true (fsh_endpoint_is_local ("tcp://localhost:5555"));
    assert_false (fsh_endpoint_is_local ("tcp://*:5555"));
    assert_false (fsh_endpoint_is_local ("tcp://0.0.0.0:5555"));
    assert_false (fsh_endpoint_is_local ("tcp://10.0.0.1:5555"));
    assert_false (fsh_endpoint_is_local ("tcp://127.0.0.1.evil.com:5555"));
    assert_false (fsh_endpoint_is_local ("tcp://eth0:5555"));
    assert_false (fsh_endpoint_is_local ("udp://127.0.0.1:5555"));
    assert_false (fsh_endpoint_is_local (NULL));

    setenv ("XDG_RUNTIME_DIR", "/run/user/42", 1);
    char *endpoint = fsh_control_endpoint ("bob");
    assert_string_equal (endpoint, "ipc:///run/user/42/fshare/bob.ctl");
    zstr_free (&endpoint);
    unsetenv ("XDG_RUNTIME_DIR");
    char *dir = fsh_control_dir ();
    assert_non_null (strstr (dir, "/tmp/fshare-"));
    zstr_free (&dir);
    setenv ("XDG_STATE_HOME", "/var/state", 1);
    dir = fsh_state_dir ();
    assert_string_equal (dir, "/var/state/fshare");
    zstr_free (&dir);
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
    path = fsh_path_absolute ("rel/dir/");
    char *expected = zsys_sprintf ("%s/rel/dir", cwd);
    assert_string_equal (path, expected);
    zstr_free (&expected);
    zstr_free (&path);
}

static void
test_mkdirs (void **state)
{
    (void) state;
    char base [] = "/tmp/fshare-test-proto-XXXXXX";
    assert_non_null (mkdtemp (base));
    char *deep = zsys_sprintf ("%s/a/b/c", base);
    assert_int_equal (fsh_mkdirs (deep, 0700), 0);
    assert_true (zsys_file_exists (deep));
    assert_int_equal (fsh_mkdirs (deep, 0700), 0);     //  exists: fine
    char *file = zsys_sprintf ("%s/file", base);
    FILE *out = fopen (file, "w");
    fclose (out);
    assert_int_equal (fsh_mkdirs (file, 0700), -1);    //  a file in the way
    char *endpoint = zsys_sprintf ("ipc://%s/x/y.ctl", base);
    assert_int_equal (fsh_endpoint_prepare (endpoint), 0);
    char *command = zsys_sprintf ("rm -rf '%s'", base);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
    zstr_free (&endpoint);
    zstr_free (&file);
    zstr_free (&deep);
}

static void
test_config_file (void **state)
{
    (void) state;
    static const struct option options [] = {
        { "config",      required_argument, NULL, 'c' },
        { "listen",      required_argument, NULL, 'l' },
        { "register",    no_argument,       NULL, 'r' },
        { "no-register", no_argument,       NULL, 'n' },
        { NULL, 0, NULL, 0 }
    };
    char path [] = "/tmp/fshare-test-config-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    const char *text = "listen = \"tcp://127.0.0.1:7000\"\nregister = 0\n";
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);

    char *argv [] = { "prog", "-c", path, "--listen", "ipc://x", NULL };
    fsh_args_t *args = fsh_args_new (5, argv, options);
    assert_non_null (args);
    //  Config words first, then the command line's, so the command line wins.
    assert_int_equal (fsh_args_argc (args), 8);
    char **words = fsh_args_argv (args);
    assert_string_equal (words [1], "--listen");
    assert_string_equal (words [2], "tcp://127.0.0.1:7000");
    assert_string_equal (words [3], "--no-register");
    assert_string_equal (words [6], "--listen");
    assert_string_equal (words [7], "ipc://x");
    assert_null (words [8]);
    fsh_args_destroy (&args);
    assert_null (args);

    //  An unknown key is an error, not ignored.
    FILE *out = fopen (path, "w");
    fputs ("bogus = 1\n", out);
    fclose (out);
    assert_null (fsh_args_new (5, argv, options));
    char *missing [] = { "prog", "-c", "/nonexistent/fshare.cfg", NULL };
    assert_null (fsh_args_new (3, missing, options));
    unlink (path);
}

//  The handler of test_options_parse: collects "<opt>=<value>" words.
static int
s_collect_option (int opt, const char *value, void *arg)
{
    char *seen = (char *) arg;
    char word [64];
    snprintf (word, sizeof word, "%c=%s ", opt, value? value: "");
    strcat (seen, word);
    return opt == 'h'? 0: -1;
}

static void
test_options_parse (void **state)
{
    (void) state;
    static const struct option options [] = {
        { "listen",  required_argument, NULL, 'l' },
        { "verbose", no_argument,       NULL, 'v' },
        { "help",    no_argument,       NULL, 'h' },
        { "config",  required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 }
    };
    char seen [256] = "";
    char *good [] = { "prog", "--listen", "ipc://x", "-v", NULL };
    assert_int_equal (fsh_options_parse ("prog", 4, good, options, ":vhc:", s_collect_option,
                                         seen), -1);
    assert_string_equal (seen, "l=ipc://x v= ");
    //  The handler's exit code stops the parse
    seen [0] = 0;
    char *help [] = { "prog", "-h", "-v", NULL };
    assert_int_equal (fsh_options_parse ("prog", 3, help, options, ":vhc:", s_collect_option,
                                         seen), 0);
    assert_string_equal (seen, "h= ");
    //  Usage errors: unknown option, missing argument, a stray word, a bad config
    char *unknown [] = { "prog", "--bogus", NULL };
    char *missing [] = { "prog", "--listen", NULL };
    char *stray [] = { "prog", "word", NULL };
    char *config [] = { "prog", "-c", "/nonexistent/fshare.cfg", NULL };
    assert_int_equal (fsh_options_parse ("prog", 2, unknown, options, ":vhc:", s_collect_option,
                                         seen), 2);
    assert_int_equal (fsh_options_parse ("prog", 2, missing, options, ":vhc:", s_collect_option,
                                         seen), 2);
    assert_int_equal (fsh_options_parse ("prog", 2, stray, options, ":vhc:", s_collect_option,
                                         seen), 2);
    assert_int_equal (fsh_options_parse ("prog", 3, config, options, ":vhc:", s_collect_option,
                                         seen), 2);
}

static void
test_wire_rejects_garbage (void **state)
{
    (void) state;
    const byte garbage [] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
    assert_null (fsh_msg_decode (garbage, sizeof garbage));
    //  A valid message survives a round trip.
    Fshare__Login login = FSHARE__LOGIN__INIT;
    login.user = "alice";
    login.password = "pw";
    login.version = FSH_PROTOCOL_VERSION;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    msg.id = 42;
    msg.body_case = FSHARE__MESSAGE__BODY_LOGIN;
    msg.login = &login;
    size_t size = fshare__message__get_packed_size (&msg);
    byte *buffer = (byte *) malloc (size);
    fshare__message__pack (&msg, buffer);
    Fshare__Message *decoded = fsh_msg_decode (buffer, size);
    assert_non_null (decoded);
    assert_int_equal (decoded->id, 42);
    assert_string_equal (decoded->login->user, "alice");
    assert_string_equal (fsh_msg_kind (decoded), "login");
    fsh_msg_destroy (&decoded);
    assert_null (decoded);
    //  Every truncation is either rejected or decodes without crashing.
    for (size_t cut = 0; cut < size; cut++) {
        decoded = fsh_msg_decode (buffer, cut);
        fsh_msg_destroy (&decoded);
    }
    free (buffer);
}

static void
test_event_rendering (void **state)
{
    (void) state;
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "docs/a \"quoted\".pdf";
    file.size = 1536;
    file.mtime = 1700000000;
    Fshare__FileInfo *files [] = { &file };
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.broker = "b1";
    event.seq = 7;
    event.time_ms = 1700000000123;
    event.type = FSHARE__EVENT_TYPE__EVENT_JOIN;
    event.user = "alice";
    event.files = files;
    event.n_files = 1;
    assert_null (fsh_event_check (&event));
    assert_string_equal (fsh_event_topic (event.type), "presence");

    char *text = fsh_event_json (&event);
    json_error_t error;
    json_t *obj = json_loads (text, 0, &error);
    assert_non_null (obj);
    assert_int_equal (json_integer_value (json_object_get (obj, "seq")), 7);
    assert_string_equal (json_string_value (json_object_get (obj, "type")), "join");
    assert_string_equal (json_string_value (json_object_get (obj, "time")),
                         "2023-11-14T22:13:20.123Z");
    json_t *first = json_array_get (json_object_get (obj, "files"), 0);
    assert_string_equal (json_string_value (json_object_get (first, "path")), file.path);
    assert_int_equal (json_integer_value (json_object_get (first, "size")), 1536);
    json_decref (obj);
    free (text);

    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED;
    event.file = &file;
    event.from = "old.pdf";
    event.n_files = 0;
    assert_string_equal (fsh_event_topic (event.type), "files");
    text = fsh_event_json (&event);
    obj = json_loads (text, 0, &error);
    assert_string_equal (json_string_value (json_object_get (obj, "from")), "old.pdf");
    assert_int_equal (json_integer_value (json_object_get (obj, "mtime")), 1700000000);
    json_decref (obj);
    free (text);

    event.from = "../escape";
    assert_non_null (fsh_event_check (&event));
    event.type = (Fshare__EventType) 99;
    assert_non_null (fsh_event_check (&event));
    assert_null (fsh_event_topic (event.type));

    char when [40];
    fsh_iso_time (-1, when, sizeof when);
    assert_string_equal (when, "1969-12-31T23:59:59.999Z");

    char size [32];
    fsh_human_size (1536, size, sizeof size);
    assert_string_equal (size, "1.5 KiB");
    fsh_human_size (12, size, sizeof size);
    assert_string_equal (size, "12 B");
}

//  A ratelog lets its share through in a second and holds back the rest
static void
test_ratelog (void **state)
{
    (void) state;
    fsh_ratelog_t *ratelog = fsh_ratelog_new (3);
    for (int i = 0; i < 5; i++)
        fsh_ratelog_warning (ratelog, "test", "bad input %d", i);
    //  All five fall in one second on any machine that runs this suite
    assert_int_equal (fsh_ratelog_suppressed (ratelog), 2);
    fsh_ratelog_destroy (&ratelog);
    assert_null (ratelog);
    fsh_ratelog_destroy (&ratelog);
}

typedef struct {
    uint64_t id;
    int *freed;
} id_item_t;

static void
s_id_item_destroy (void **item_p)
{
    id_item_t *item = (id_item_t *) *item_p;
    (*item->freed)++;
    free (item);
    *item_p = NULL;
}

//  Keys are compared by value, never copied or freed; items are freed
static void
test_idtable (void **state)
{
    (void) state;
    int freed = 0;
    zhashx_t *table = fsh_idtable_new (s_id_item_destroy);
    uint64_t ids [] = { 1, 1ULL << 32, (1ULL << 32) + 1, UINT64_MAX };
    for (size_t i = 0; i < 4; i++) {
        id_item_t *item = (id_item_t *) zmalloc (sizeof (id_item_t));
        item->id = ids [i];
        item->freed = &freed;
        assert_int_equal (zhashx_insert (table, &item->id, item), 0);
    }
    for (size_t i = 0; i < 4; i++) {
        uint64_t key = ids [i];
        id_item_t *item = (id_item_t *) zhashx_lookup (table, &key);
        assert_non_null (item);
        assert_true (item->id == ids [i]);
    }
    uint64_t missing = 2;
    assert_null (zhashx_lookup (table, &missing));
    uint64_t gone = 1ULL << 32;
    zhashx_delete (table, &gone);
    assert_int_equal (freed, 1);
    assert_int_equal (zhashx_size (table), 3);
    zhashx_destroy (&table);
    assert_int_equal (freed, 4);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_user_names),
        cmocka_unit_test (test_paths),
        cmocka_unit_test (test_endpoints),
        cmocka_unit_test (test_mkdirs),
        cmocka_unit_test (test_path_absolute),
        cmocka_unit_test (test_config_file),
        cmocka_unit_test (test_wire_rejects_garbage),
        cmocka_unit_test (test_event_rendering),
        cmocka_unit_test (test_ratelog),
        cmocka_unit_test (test_options_parse),
        cmocka_unit_test (test_idtable),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
