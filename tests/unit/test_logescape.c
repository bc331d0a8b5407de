/*  test_logescape.c - proto/logescape: log lines reach their stream
    escaped as fsh_text_escape does, with their own final newline.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include "fshare.h"
#include "logescape.h"

typedef struct {
    char *text;                 //  what reached the sink
    size_t size;
    FILE *sink;                 //  an open_memstream over text
    FILE *log;                  //  the escaping stream over sink
} s_state_t;

static int
s_setup (void **state)
{
    s_state_t *self = (s_state_t *) calloc (1, sizeof (s_state_t));
    self->sink = open_memstream (&self->text, &self->size);
    assert_non_null (self->sink);
    self->log = fsh_logescape_open (self->sink);
    assert_non_null (self->log);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    s_state_t *self = (s_state_t *) *state;
    if (self->log)
        fclose (self->log);
    fclose (self->sink);
    free (self->text);
    free (self);
    return 0;
}

//  Writes `text` as one write, as CZMQ does, and checks what came out
static void
s_check (s_state_t *self, const char *text, const char *logged)
{
    fprintf (self->log, "%s", text);
    assert_string_equal (self->text, logged);
}

static void
test_hostile_characters (void **state)
{
    s_state_t *self = (s_state_t *) *state;
    s_check (self, "c1\xc2\x9b" "2J \xe2\x80\xae" "fdp.exe\n", "c1\\u009b2J \\u202efdp.exe\n");
    s_check (self, "esc\x1b[31m del\x7f\n", "c1\\u009b2J \\u202efdp.exe\nesc\\x1b[31m del\\x7f\n");
}

static void
test_invalid_utf8 (void **state)
{
    s_state_t *self = (s_state_t *) *state;
    //  A stray continuation byte, an overlong '/', a sequence cut by the
    //  line's end (zsys cuts lines at 1 KiB, wherever that falls)
    s_check (self, "a\x80 b\xc0\xaf c\xe2\x80\n", "a\\x80 b\\xc0\\xaf c\\xe2\\x80\n");
}

static void
test_plain_text_and_newline_stay (void **state)
{
    s_state_t *self = (s_state_t *) *state;
    const char *line = "I: (fshare-peer) 25-01-02 03:04:05 bob: caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 back\\slash\n";
    s_check (self, line, line);
}

static void
test_newline_within_a_line (void **state)
{
    s_state_t *self = (s_state_t *) *state;
    //  A name with a newline must not forge a second log line
    s_check (self, "skipping 'a\nW: forged'\n", "skipping 'a\\x0aW: forged'\n");
    s_check (self, "x\r\t\n", "skipping 'a\\x0aW: forged'\nx\\x0d\\x09\n");
}

static void
test_character_split_between_writes (void **state)
{
    s_state_t *self = (s_state_t *) *state;
    //  U+202E and U+00E9 each cut in two: escaped or kept whole, never
    //  taken for invalid bytes
    fwrite ("a\xe2\x80", 1, 3, self->log);
    fwrite ("\xae" "b caf\xc3", 1, 7, self->log);
    fwrite ("\xa9\n", 1, 2, self->log);
    assert_string_equal (self->text, "a\\u202eb caf\xc3\xa9\n");
    //  Cut short for good: escaped at close
    fwrite ("z\xc2", 1, 2, self->log);
    fclose (self->log);
    self->log = NULL;
    assert_string_equal (self->text, "a\\u202eb caf\xc3\xa9\nz\\xc2\n");
}

static void
test_zsys_lines (void **state)
{
    s_state_t *self = (s_state_t *) *state;
    //  Through CZMQ itself: whatever s_log does, what it writes is escaped
    fsh_logescape_install (self->sink);
    zsys_info ("download of %s:'%s' done", "alice", "invoice\xe2\x80\xae" "fdp.exe\x1b[2J");
    zsys_set_logstream (NULL);
    assert_non_null (strstr (self->text, "alice:'invoice\\u202efdp.exe\\x1b[2J' done\n"));
    assert_null (strstr (self->text, "\xe2\x80\xae"));
    assert_null (strchr (self->text, '\x1b'));
}

static void *
s_logger (void *args)
{
    (void) args;
    char name [900];
    memset (name, 'n', sizeof name - 1);
    name [sizeof name - 1] = 0;
    for (int line = 0; line < 500; line++)
        zsys_info ("%s", name);
    return NULL;
}

static void
test_threads_keep_lines_whole (void **state)
{
    s_state_t *self = (s_state_t *) *state;
    //  Lines from several threads at once: each newline still ends its
    //  own line, none is escaped as if inside another
    fsh_logescape_install (self->sink);
    pthread_t threads [3];
    for (int i = 0; i < 3; i++)
        assert_int_equal (pthread_create (&threads [i], NULL, s_logger, NULL), 0);
    for (int i = 0; i < 3; i++)
        pthread_join (threads [i], NULL);
    zsys_set_logstream (NULL);
    assert_null (strstr (self->text, "\\x0a"));
    size_t lines = 0;
    for (const char *at = self->text; (at = strchr (at, '\n')); at++)
        lines++;
    assert_int_equal (lines, 1500);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_hostile_characters, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_invalid_utf8, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_plain_text_and_newline_stay, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_newline_within_a_line, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_character_split_between_writes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_zsys_lines, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_threads_keep_lines_whole, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
