/*  test_errcode.c - the error code table (proto/errcode.c).

    Names are the stable interface of `--json` failures: each code has
    exactly one, it maps back to the code, and a value outside the table
    (a newer peer's code) is handled, never a NULL.
*/
#include "fshare.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

static void
test_names_round_trip (void **state)
{
    (void) state;
    for (int code = FSH_ERR_NONE; code <= FSH_ERR_INTERNAL; code++) {
        const char *name = fsh_err_name ((fsh_err_t) code);
        assert_non_null (name);
        assert_int_equal (fsh_err_from_name (name), code);
        assert_true (*fsh_err_text ((fsh_err_t) code));
        for (int other = code + 1; other <= FSH_ERR_INTERNAL; other++)
            assert_string_not_equal (name, fsh_err_name ((fsh_err_t) other));
    }
    assert_string_equal (fsh_err_name (FSH_ERR_UNKNOWN_USER), "unknown_user");
    assert_string_equal (fsh_err_name (FSH_ERR_INVALID_CREDENTIALS), "invalid_credentials");
    assert_int_equal (fsh_err_from_name ("no such code"), FSH_ERR_NONE);
    assert_int_equal (fsh_err_from_name (NULL), FSH_ERR_NONE);
}

static void
test_unknown_values (void **state)
{
    (void) state;
    fsh_err_t future = (fsh_err_t) 9999;
    assert_string_equal (fsh_err_name (future), "internal");
    assert_int_equal (fsh_err_received (future, FSH_ERR_CANCELLED), FSH_ERR_INTERNAL);
    assert_int_equal (fsh_err_received (FSH_ERR_NONE, FSH_ERR_CANCELLED), FSH_ERR_CANCELLED);
    assert_int_equal (fsh_err_received (FSH_ERR_STALLED, FSH_ERR_CANCELLED), FSH_ERR_STALLED);
}

static void
test_error_reply (void **state)
{
    (void) state;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    assert_int_equal (fsh_msg_error_code (&msg, FSH_ERR_INTERNAL), FSH_ERR_NONE);
    fsh_msg_set_error (&msg, 7, FSH_ERR_UNKNOWN_FILE, NULL);
    assert_int_equal (msg.id, 7);
    assert_string_equal (msg.error, "unknown file");
    assert_int_equal (fsh_msg_error_code (&msg, FSH_ERR_INTERNAL), FSH_ERR_UNKNOWN_FILE);
    msg.code = FSH_ERR_NONE;            //  an error without a code
    assert_int_equal (fsh_msg_error_code (&msg, FSH_ERR_INTERNAL), FSH_ERR_INTERNAL);
}

static void
test_partial_kept (void **state)
{
    (void) state;
    assert_true (fsh_err_keeps_partial (FSH_ERR_OWNER_GONE));
    assert_true (fsh_err_keeps_partial (FSH_ERR_STALLED));
    assert_false (fsh_err_keeps_partial (FSH_ERR_FILE_CHANGED));
    assert_false (fsh_err_keeps_partial (FSH_ERR_CORRUPTED));
    assert_false (fsh_err_keeps_partial (FSH_ERR_PROTOCOL_ERROR));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_names_round_trip),
        cmocka_unit_test (test_unknown_values),
        cmocka_unit_test (test_error_reply),
        cmocka_unit_test (test_partial_kept),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
