/*  test_reserve.c - fshare-bench's warm memory reserve: held in full until
    the followed file appears, then freed a lead ahead of what the file
    holds, and all of it once the file is renamed away. */
#include "fixture.h"
#include "reserve.h"

#define MIB     (1024 * 1024)

static int
s_setup (void **state)
{
    return fixture_dir_setup (state, "reserve");
}

//  Appends `bytes` to path.
static void
s_grow (const char *path, size_t bytes)
{
    FILE *file = fopen (path, "ab");
    assert_non_null (file);
    uint8_t *data = (uint8_t *) zmalloc (bytes);
    assert_int_equal (fwrite (data, 1, bytes, file), bytes);
    free (data);
    assert_int_equal (fclose (file), 0);
}

static void
test_follows_the_file (void **state)
{
    fixture_dir_t *fx = (fixture_dir_t *) *state;
    char *path = zsys_sprintf ("%s/.big.fshare-part", fx->dir);
    char *saved = zsys_sprintf ("%s/big", fx->dir);
    reserve_t *reserve = reserve_new (256 * MIB);
    assert_non_null (reserve);
    assert_true (reserve_fill_cost (reserve) > 0);
    //  Before the file exists nothing is freed (the writer has not begun)
    reserve_follow (reserve, path);
    assert_int_equal (reserve_held (reserve), 256 * MIB);
    //  An empty file: the lead (64 MiB) goes
    s_grow (path, 0);
    reserve_follow (reserve, path);
    assert_int_equal (reserve_held (reserve), 192 * MIB);
    //  10 MiB written: freed to 74 MiB; rounding is up, to whole MiB
    s_grow (path, 10 * MIB);
    reserve_follow (reserve, path);
    uint64_t held = reserve_held (reserve);
    assert_true (held <= 182 * MIB && held >= 181 * MIB);
    //  Never taken back, whatever the file does
    assert_int_equal (truncate (path, 0), 0);
    reserve_follow (reserve, path);
    assert_int_equal (reserve_held (reserve), held);
    //  Renamed into place: the writing is over, all of it goes
    assert_int_equal (rename (path, saved), 0);
    reserve_follow (reserve, path);
    assert_int_equal (reserve_held (reserve), 0);
    reserve_destroy (&reserve);
    assert_null (reserve);
    reserve_destroy (&reserve);
    zstr_free (&path);
    zstr_free (&saved);
}

static void
test_never_past_its_size (void **state)
{
    fixture_dir_t *fx = (fixture_dir_t *) *state;
    char *path = zsys_sprintf ("%s/out", fx->dir);
    assert_null (reserve_new (0));
    //  Smaller than the lead: the first look frees it all
    reserve_t *reserve = reserve_new (3 * MIB + 5);
    assert_non_null (reserve);
    assert_int_equal (reserve_held (reserve), 3 * MIB + 5);
    s_grow (path, 1);
    reserve_follow (reserve, path);
    assert_int_equal (reserve_held (reserve), 0);
    reserve_follow (NULL, path);        //  --no-warm: no reserve, no harm
    reserve_destroy (&reserve);
    zstr_free (&path);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_follows_the_file, s_setup, fixture_dir_teardown),
        cmocka_unit_test_setup_teardown (test_never_past_its_size, s_setup, fixture_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
