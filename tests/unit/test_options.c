/*  test_options.c - proto/options: config files (SPEC 3) turned into
    command-line words before the real ones, so the command line wins;
    booleans, unknown keys, malformed and hostile files (NUL bytes, nested
    keys, overlong values); and the whole parse with its usage errors.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"

static const struct option s_options [] = {
    { "config",      required_argument, NULL, 'c' },
    { "listen",      required_argument, NULL, 'l' },
    { "register",    no_argument,       NULL, 'r' },
    { "no-register", no_argument,       NULL, 'n' },
    { "verbose",     no_argument,       NULL, 'v' },
    { NULL, 0, NULL, 0 }
};

//  The short options of that table (what fsh_args_new scans with)
#define S_SHORTS ":c:l:v"

typedef struct {
    char path [64];
} config_t;

//  A config file holding `size` bytes of `text` (which may hold NULs).
static void
s_write (config_t *self, const char *text, size_t size)
{
    FILE *out = fopen (self->path, "w");
    assert_non_null (out);
    assert_int_equal (fwrite (text, 1, size, out), size);
    fclose (out);
}

static int
s_setup (void **state)
{
    config_t *self = (config_t *) zmalloc (sizeof (config_t));
    snprintf (self->path, sizeof self->path, "/tmp/fshare-test-options-XXXXXX");
    int fd = mkstemp (self->path);
    assert_true (fd >= 0);
    close (fd);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    config_t *self = (config_t *) *state;
    unlink (self->path);
    free (self);
    return 0;
}

//  The words a config file of `text` gives (with "prog -c FILE" around
//  them), joined by spaces, or NULL when the file is refused. Caller frees.
static char *
s_words (config_t *self, const char *text, size_t size)
{
    s_write (self, text, size);
    char *argv [] = { "prog", "-c", self->path, NULL };
    fsh_args_t *args = fsh_args_new ("prog", 3, argv, s_options, S_SHORTS);
    if (!args)
        return NULL;
    char **words = fsh_args_argv (args);
    int argc = fsh_args_argc (args);
    assert_null (words [argc]);
    assert_string_equal (words [0], "prog");
    //  The -c FILE of the command line stays at the end
    assert_true (argc >= 3);
    assert_string_equal (words [argc - 2], "-c");
    assert_string_equal (words [argc - 1], self->path);
    char *joined = strdup ("");
    for (int i = 1; i < argc - 2; i++) {
        char *longer = zsys_sprintf ("%s%s%s", joined, i > 1? " ": "", words [i]);
        free (joined);
        joined = longer;
    }
    fsh_args_destroy (&args);
    return joined;
}

//  s_words of a C string, which must be `expected` (NULL: refused).
static void
s_expect (config_t *self, const char *text, const char *expected)
{
    char *words = s_words (self, text, strlen (text));
    if (!expected && words)
        fail_msg ("'%s' accepted as '%s'", text, words);
    if (expected && !words)
        fail_msg ("'%s' refused", text);
    if (expected)
        assert_string_equal (words, expected);
    free (words);
}

static void
test_command_line_wins (void **state)
{
    config_t *self = (config_t *) *state;
    const char *text = "listen = \"tcp://127.0.0.1:7000\"\nregister = 0\n";
    s_write (self, text, strlen (text));
    char *argv [] = { "prog", "-c", self->path, "--listen", "ipc://x", NULL };
    fsh_args_t *args = fsh_args_new ("prog", 5, argv, s_options, S_SHORTS);
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
    fsh_args_destroy (&args);

    //  --config works as -c does; without either, argv as it is
    char *longer [] = { "prog", "--config", self->path, NULL };
    args = fsh_args_new ("prog", 3, longer, s_options, S_SHORTS);
    assert_non_null (args);
    assert_int_equal (fsh_args_argc (args), 6);
    fsh_args_destroy (&args);
    char *plain [] = { "prog", "--verbose", "word", NULL };
    args = fsh_args_new ("prog", 3, plain, s_options, S_SHORTS);
    assert_non_null (args);
    assert_int_equal (fsh_args_argc (args), 3);
    assert_string_equal (fsh_args_argv (args) [2], "word");
    fsh_args_destroy (&args);
    //  After "--", -c is a word like any other; -c last names no file
    char *after [] = { "prog", "--", "-c", "/nonexistent", NULL };
    args = fsh_args_new ("prog", 4, after, s_options, S_SHORTS);
    assert_non_null (args);
    assert_int_equal (fsh_args_argc (args), 4);
    fsh_args_destroy (&args);
    char *last [] = { "prog", "-c", NULL };
    args = fsh_args_new ("prog", 2, last, s_options, S_SHORTS);
    assert_non_null (args);
    fsh_args_destroy (&args);
}

//  Whether fsh_args_new, given `argv` (argc words), read the config file:
//  it holds one key, so that its words come first.
static bool
s_read_file (config_t *self, int argc, char **argv)
{
    const char *text = "listen = from-file\n";
    s_write (self, text, strlen (text));
    fsh_args_t *args = fsh_args_new ("prog", argc, argv, s_options, S_SHORTS);
    assert_non_null (args);
    char **words = fsh_args_argv (args);
    bool read = fsh_args_argc (args) > argc && streq (words [2], "from-file");
    fsh_args_destroy (&args);
    return read;
}

//  Every spelling of -c FILE that getopt_long takes reads the file (only
//  "-c FILE" and "--config FILE" did: the others were quietly ignored),
//  and a -c that getopt_long does not take as the option reads nothing.
static void
test_config_spellings (void **state)
{
    config_t *self = (config_t *) *state;
    char *joined = zsys_sprintf ("--config=%s", self->path);
    char *glued = zsys_sprintf ("-c%s", self->path);
    char *bundled = zsys_sprintf ("-vc%s", self->path);
    char *p = self->path;
    char *eq [] = { "prog", joined, NULL };
    assert_true (s_read_file (self, 2, eq));
    char *short_glued [] = { "prog", glued, NULL };
    assert_true (s_read_file (self, 2, short_glued));
    char *short_bundled [] = { "prog", bundled, NULL };
    assert_true (s_read_file (self, 2, short_bundled));
    char *bundled_apart [] = { "prog", "-vc", p, NULL };
    assert_true (s_read_file (self, 3, bundled_apart));
    char *abbreviated [] = { "prog", "--conf", p, NULL };
    assert_true (s_read_file (self, 3, abbreviated));
    char *shortest [] = { "prog", "--c", p, NULL };
    assert_true (s_read_file (self, 3, shortest));
    //  After a word that is no option (getopt permutes it away)
    char *later [] = { "prog", "word", "-c", p, NULL };
    assert_true (s_read_file (self, 4, later));
    //  The last -c wins, as any later option does
    char *twice [] = { "prog", "-c", "/nonexistent", "-c", p, NULL };
    assert_true (s_read_file (self, 5, twice));
    //  The argument of another option is no -c, nor is "-c" after "--"
    char *argument [] = { "prog", "--listen", "-c", p, NULL };
    assert_false (s_read_file (self, 4, argument));
    char *glued_argument [] = { "prog", "-l", "-c", p, NULL };
    assert_false (s_read_file (self, 4, glued_argument));
    char *ended [] = { "prog", "--", "-c", p, NULL };
    assert_false (s_read_file (self, 4, ended));
    //  The caller's argv is left in its order (getopt permutes what it scans)
    assert_string_equal (later [1], "word");
    assert_string_equal (later [2], "-c");
    free (joined);
    free (glued);
    free (bundled);
}

static void
test_values (void **state)
{
    config_t *self = (config_t *) *state;
    s_expect (self, "", "");
    s_expect (self, "# only a comment\n\n", "");
    s_expect (self, "listen = ipc://a # why\n", "--listen ipc://a");
    s_expect (self, "listen = \"tcp://h:1 x=y\"\n", "--listen tcp://h:1 x=y");
    s_expect (self, "listen = a\r\n", "--listen a");
    //  A value that looks like an option stays the argument of its key
    s_expect (self, "listen = --verbose\n", "--listen --verbose");
    //  Booleans, with and without a no- form
    const char *yes [] = { "1", "true", "yes", "on" };
    const char *no [] = { "0", "false", "no", "off" };
    for (int i = 0; i < 4; i++) {
        char *text = zsys_sprintf ("register = %s\nverbose = %s\n", yes [i], yes [i]);
        s_expect (self, text, "--register --verbose");
        zstr_free (&text);
        text = zsys_sprintf ("register = %s\nverbose = %s\n", no [i], no [i]);
        s_expect (self, text, "--no-register");
        zstr_free (&text);
    }
    //  Long values come through whole
    char *value = (char *) zmalloc (5001);
    memset (value, 'v', 5000);
    char *text = zsys_sprintf ("listen = %s\n", value);
    char *expected = zsys_sprintf ("--listen %s", value);
    s_expect (self, text, expected);
    zstr_free (&expected);
    zstr_free (&text);
    free (value);
}

static void
test_bad_files (void **state)
{
    config_t *self = (config_t *) *state;
    //  Unknown keys, -c inside the file, malformed ZPL
    s_expect (self, "bogus = 1\n", NULL);
    //  A key given twice is a mistake (the second quietly won)
    s_expect (self, "listen = a\nlisten = b\n", NULL);
    s_expect (self, "listen = a\n# c\n\nverbose = 1\nlisten = a\n", NULL);
    s_expect (self, "listen = a\nbogus = 1\n", NULL);
    s_expect (self, "config = /etc/other\n", NULL);
    s_expect (self, "listen = \"unterminated\n", NULL);
    s_expect (self, "li sten = a\n", NULL);
    s_expect (self, "    listen = a\n", NULL);
    s_expect (self, "\xff\xfe = 1\n", NULL);
    s_expect (self, "/listen = a\n", NULL);
    s_expect (self, "listen = 'a' b\n", NULL);
    s_expect (self, "listen = a\n        verbose = 1\n", NULL);
    //  What zconfig takes, the scan before it takes too (the scan, not
    //  zconfig, says what is malformed: zconfig would print on stdout)
    s_expect (self, "listen = 'a b'  # c\r\n", "--listen a b");
    s_expect (self, "\t# c\n \t\n\f\nlisten = \"a # b\" # c\n", "--listen a # b");
    s_expect (self, "listen=a#b\n", "--listen a");
    //  A boolean that is neither true nor false is a mistake, not "false"
    s_expect (self, "verbose = ture\n", NULL);
    s_expect (self, "register = maybe\n", NULL);
    s_expect (self, "register\n", NULL);
    //  Nested keys are no options: refused, not silently dropped
    s_expect (self, "listen = a\n    register = 1\n", NULL);
    s_expect (self, "section\n    listen = a\n", NULL);
    //  A NUL byte would cut the value (or the file) short: refused
    const char nul_value [] = "listen = \"a\0--evil\"\n";
    assert_null (s_words (self, nul_value, sizeof nul_value - 1));
    const char nul_line [] = "listen = a\n\0bogus = 1\n";
    assert_null (s_words (self, nul_line, sizeof nul_line - 1));
    //  Files that are not there or not files
    char *missing [] = { "prog", "-c", "/nonexistent/fshare.cfg", NULL };
    assert_null (fsh_args_new ("prog", 3, missing, s_options, S_SHORTS));
    char *directory [] = { "prog", "-c", "/tmp", NULL };
    assert_null (fsh_args_new ("prog", 3, directory, s_options, S_SHORTS));
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
    config_t *self = (config_t *) *state;
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
    //  The config file's options come first, -c itself is not handed on
    s_write (self, "listen = ipc://file\n", strlen ("listen = ipc://file\n"));
    seen [0] = 0;
    char *both [] = { "prog", "-c", self->path, "--listen", "ipc://line", NULL };
    assert_int_equal (fsh_options_parse ("prog", 5, both, options, ":vhc:", s_collect_option,
                                         seen), -1);
    assert_string_equal (seen, "l=ipc://file l=ipc://line ");
    //  The handler's exit code stops the parse
    seen [0] = 0;
    char *help [] = { "prog", "-h", "-v", NULL };
    assert_int_equal (fsh_options_parse ("prog", 3, help, options, ":vhc:", s_collect_option,
                                         seen), 0);
    assert_string_equal (seen, "h= ");
    //  Usage errors: unknown option, missing argument, a stray word, a bad
    //  config; the handler sees nothing after the error
    seen [0] = 0;
    char *unknown [] = { "prog", "--bogus", "-v", NULL };
    char *missing [] = { "prog", "--listen", NULL };
    char *stray [] = { "prog", "word", NULL };
    char *config [] = { "prog", "-c", "/nonexistent/fshare.cfg", NULL };
    char *short_unknown [] = { "prog", "-x", NULL };
    assert_int_equal (fsh_options_parse ("prog", 3, unknown, options, ":vhc:", s_collect_option,
                                         seen), 2);
    assert_string_equal (seen, "");
    assert_int_equal (fsh_options_parse ("prog", 2, missing, options, ":vhc:", s_collect_option,
                                         seen), 2);
    assert_int_equal (fsh_options_parse ("prog", 2, stray, options, ":vhc:", s_collect_option,
                                         seen), 2);
    assert_int_equal (fsh_options_parse ("prog", 3, config, options, ":vhc:", s_collect_option,
                                         seen), 2);
    assert_int_equal (fsh_options_parse ("prog", 2, short_unknown, options, ":vhc:",
                                         s_collect_option, seen), 2);
    assert_string_equal (seen, "");
    //  The parse can run again (getopt's state is reset)
    assert_int_equal (fsh_options_parse ("prog", 4, good, options, ":vhc:", s_collect_option,
                                         seen), -1);
    assert_string_equal (seen, "l=ipc://x v= ");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_command_line_wins, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_config_spellings, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_values, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_files, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_options_parse, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
