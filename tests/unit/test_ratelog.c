/*  test_ratelog.c - proto/ratelog: `per_second` warnings a second get
    through, the rest are counted, and the count is logged with the next
    second's first warning. The log goes to a temporary file and is read
    back. The one wait here is for the clock to pass a second (a
    deadline on zclock_mono, nothing to synchronise with).
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"
#include "ratelog.h"

typedef struct {
    FILE *log;
} capture_t;

static int
s_setup (void **state)
{
    capture_t *self = (capture_t *) zmalloc (sizeof (capture_t));
    self->log = tmpfile ();
    assert_non_null (self->log);
    zsys_set_logstream (self->log);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    capture_t *self = (capture_t *) *state;
    zsys_set_logstream (NULL);
    fclose (self->log);
    free (self);
    return 0;
}

//  How often `text` is in the log so far.
static int
s_count (capture_t *self, const char *text)
{
    fflush (self->log);
    long size = ftell (self->log);
    assert_true (size >= 0);
    char *data = (char *) zmalloc ((size_t) size + 1);
    rewind (self->log);
    size_t got = fread (data, 1, (size_t) size, self->log);
    data [got] = 0;
    fseek (self->log, 0, SEEK_END);
    int count = 0;
    for (const char *at = strstr (data, text); at; at = strstr (at + 1, text))
        count++;
    free (data);
    return count;
}

//  Lets the clock pass `ms` milliseconds after `since` (zclock_mono).
static void
s_wait_past (int64_t since, int64_t ms)
{
    while (zclock_mono () < since + ms)
        zclock_sleep (10);
}

static void
test_share_then_count (void **state)
{
    capture_t *self = (capture_t *) *state;
    //  Five calls within one second; a machine so loaded that a second
    //  went by in them is tried again, never counted as a pass
    fsh_ratelog_t *ratelog = NULL;
    int64_t start = 0, first = 0, took = 0;
    for (int attempt = 0; attempt < 10; attempt++) {
        fsh_ratelog_destroy (&ratelog);
        assert_int_equal (ftruncate (fileno (self->log), 0), 0);
        rewind (self->log);
        ratelog = fsh_ratelog_new (3);
        assert_int_equal (fsh_ratelog_suppressed (ratelog), 0);
        start = zclock_mono ();
        fsh_ratelog_warning (ratelog, "test", "bad input %d", 0);
        first = zclock_mono ();
        for (int i = 1; i < 5; i++)
            fsh_ratelog_warning (ratelog, "test", "bad input %d", i);
        took = zclock_mono () - start;
        if (took < 1000)
            break;
    }
    assert_true (took < 1000);
    assert_int_equal (fsh_ratelog_suppressed (ratelog), 2);
    assert_int_equal (s_count (self, "test: bad input "), 3);
    assert_int_equal (s_count (self, "test: bad input 2"), 1);
    assert_int_equal (s_count (self, "test: bad input 3"), 0);
    assert_int_equal (s_count (self, "not logged"), 0);

    //  The next second: the count first, then the warning; the total stays
    s_wait_past (first, 1000);
    fsh_ratelog_warning (ratelog, "test", "late %d", 1);
    assert_int_equal (s_count (self, "2 more rejections not logged"), 1);
    assert_int_equal (s_count (self, "test: late 1"), 1);
    assert_int_equal (fsh_ratelog_suppressed (ratelog), 2);
    //  A whole new share in this second, then holding back again
    int64_t second = zclock_mono ();
    fsh_ratelog_warning (ratelog, "test", "late %d", 2);
    fsh_ratelog_warning (ratelog, "test", "late %d", 3);
    fsh_ratelog_warning (ratelog, "test", "late %d", 4);
    if (zclock_mono () - second < 900) {
        assert_int_equal (s_count (self, "test: late "), 3);
        assert_int_equal (fsh_ratelog_suppressed (ratelog), 3);
    }
    fsh_ratelog_destroy (&ratelog);
    assert_null (ratelog);
    fsh_ratelog_destroy (&ratelog);
}

//  One ratelog for several parts of a program: the bound holds for all
static void
test_shared_and_floor (void **state)
{
    capture_t *self = (capture_t *) *state;
    fsh_ratelog_t *ratelog = fsh_ratelog_new (2);
    int64_t start = zclock_mono ();
    fsh_ratelog_warning (ratelog, "broker", "one");
    fsh_ratelog_warning (ratelog, "relay", "two");
    fsh_ratelog_warning (ratelog, "relay", "three");
    fsh_ratelog_warning (ratelog, "broker", "four");
    bool quick = zclock_mono () - start < 1000;
    if (quick) {
        assert_int_equal (s_count (self, "broker: one"), 1);
        assert_int_equal (s_count (self, "relay: two"), 1);
        assert_int_equal (s_count (self, "relay: three"), 0);
        assert_int_equal (fsh_ratelog_suppressed (ratelog), 2);
    }
    fsh_ratelog_destroy (&ratelog);
    //  Zero or fewer a second still lets one through
    ratelog = fsh_ratelog_new (0);
    start = zclock_mono ();
    fsh_ratelog_warning (ratelog, "zero", "first");
    fsh_ratelog_warning (ratelog, "zero", "second");
    if (zclock_mono () - start < 1000) {
        assert_int_equal (s_count (self, "zero: first"), 1);
        assert_int_equal (s_count (self, "zero: second"), 0);
        assert_int_equal (fsh_ratelog_suppressed (ratelog), 1);
    }
    fsh_ratelog_destroy (&ratelog);
    ratelog = fsh_ratelog_new (-5);
    fsh_ratelog_warning (ratelog, "negative", "first");
    assert_int_equal (s_count (self, "negative: first"), 1);
    fsh_ratelog_destroy (&ratelog);
    //  The text is an argument, never a format
    ratelog = fsh_ratelog_new (1);
    fsh_ratelog_warning (ratelog, "fmt", "%s", "100%s %n done");
    assert_int_equal (s_count (self, "fmt: 100%s %n done"), 1);
    fsh_ratelog_destroy (&ratelog);
}

int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_share_then_count, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_shared_and_floor, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
