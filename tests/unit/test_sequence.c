/*  test_sequence.c - where an event stands in a broker's stream
    (proto/sequence.c): the first event, the next, stale ones, gaps (and
    a subscriber by topic that ignores them), another broker instance.
*/
#include "sequence.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static void
test_verdicts (void **state)
{
    (void) state;
    fsh_sequence_t *sequence = fsh_sequence_new ();
    assert_null (fsh_sequence_broker (sequence));
    assert_int_equal (fsh_sequence_check (sequence, "b1", 7, true), FSH_SEQ_FIRST);
    fsh_sequence_set (sequence, "b1", 7);
    assert_string_equal (fsh_sequence_broker (sequence), "b1");
    assert_int_equal (fsh_sequence_seq (sequence), 7);
    assert_int_equal (fsh_sequence_check (sequence, "b1", 8, true), FSH_SEQ_NEXT);
    assert_int_equal (fsh_sequence_check (sequence, "b1", 7, true), FSH_SEQ_STALE);
    assert_int_equal (fsh_sequence_check (sequence, "b1", 2, false), FSH_SEQ_STALE);
    assert_int_equal (fsh_sequence_check (sequence, "b1", 10, true), FSH_SEQ_GAP);
    assert_int_equal (fsh_sequence_missed (sequence, 10), 2);
    assert_int_equal (fsh_sequence_missed (sequence, 8), 0);
    //  By topic, a skipped number is no gap
    assert_int_equal (fsh_sequence_check (sequence, "b1", 10, false), FSH_SEQ_NEXT);
    //  Another instance, whatever its numbers; no instance at all
    assert_int_equal (fsh_sequence_check (sequence, "b2", 8, true), FSH_SEQ_RESTART);
    assert_int_equal (fsh_sequence_check (sequence, "b2", 1, false), FSH_SEQ_RESTART);
    assert_int_equal (fsh_sequence_check (sequence, NULL, 8, true), FSH_SEQ_RESTART);
    //  Nothing changed by the checks
    assert_int_equal (fsh_sequence_seq (sequence), 7);
    fsh_sequence_set (sequence, "b2", 1);
    assert_int_equal (fsh_sequence_check (sequence, "b2", 2, true), FSH_SEQ_NEXT);
    fsh_sequence_reset (sequence);
    assert_null (fsh_sequence_broker (sequence));
    assert_int_equal (fsh_sequence_check (sequence, "b2", 2, true), FSH_SEQ_FIRST);
    fsh_sequence_destroy (&sequence);
    assert_null (sequence);
    fsh_sequence_destroy (&sequence);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_verdicts),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
