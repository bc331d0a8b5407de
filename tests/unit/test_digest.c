/*  test_digest.c - SHA-256 of a stream (proto/digest.c): the known
    answers of FIPS 180-2, the same digest however the stream is cut, a
    reset in the middle, final resetting, and the hex form and back.
*/
#include "digest.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

static void
s_hex_of (digest_t *digest, char hex [DIGEST_HEX_SIZE])
{
    uint8_t sha [DIGEST_SIZE];
    digest_final (digest, sha);
    digest_hex (sha, hex);
}

static void
test_known_answers (void **state)
{
    (void) state;
    digest_t *digest = digest_new ();
    char hex [DIGEST_HEX_SIZE];
    s_hex_of (digest, hex);
    assert_string_equal (hex,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    digest_update (digest, "abc", 3);
    s_hex_of (digest, hex);
    assert_string_equal (hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    //  final reset the digest: "abc" again gives the same answer
    digest_update (digest, "abc", 3);
    s_hex_of (digest, hex);
    assert_string_equal (hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    digest_destroy (&digest);
    assert_null (digest);
    digest_destroy (&digest);
}

static void
test_cut_anywhere (void **state)
{
    (void) state;
    const char *text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    size_t size = strlen (text);
    const char *expected = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    digest_t *digest = digest_new ();
    for (size_t cut = 0; cut <= size; cut++) {
        digest_update (digest, "noise", 5);
        digest_reset (digest);
        digest_update (digest, text, cut);
        digest_update (digest, text + cut, size - cut);
        char hex [DIGEST_HEX_SIZE];
        s_hex_of (digest, hex);
        assert_string_equal (hex, expected);
    }
    digest_destroy (&digest);
    digest_thread_end ();
}

static void
test_hex (void **state)
{
    (void) state;
    uint8_t sha [DIGEST_SIZE];
    for (size_t i = 0; i < DIGEST_SIZE; i++)
        sha [i] = (uint8_t) (i * 17);
    char hex [DIGEST_HEX_SIZE];
    digest_hex (sha, hex);
    assert_int_equal (strlen (hex), DIGEST_SIZE * 2);
    assert_memory_equal (hex, "0011223344", 10);
    assert_string_equal (hex + 60, "fe0f");   //  30 * 17 and 31 * 17, mod 256
}

//  Hex back into a digest: either case; anything but 64 hex digits refused.
static void
test_unhex (void **state)
{
    (void) state;
    uint8_t sha [DIGEST_SIZE], back [DIGEST_SIZE];
    for (size_t i = 0; i < DIGEST_SIZE; i++)
        sha [i] = (uint8_t) (i * 37 + 5);
    char hex [DIGEST_HEX_SIZE];
    digest_hex (sha, hex);
    assert_int_equal (digest_unhex (hex, back), 0);
    assert_memory_equal (back, sha, DIGEST_SIZE);
    for (char *c = hex; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char) (*c - 'a' + 'A');
    memset (back, 0, sizeof back);
    assert_int_equal (digest_unhex (hex, back), 0);
    assert_memory_equal (back, sha, DIGEST_SIZE);
    hex [10] = 'g';
    assert_int_equal (digest_unhex (hex, back), -1);
    hex [10] = ' ';
    assert_int_equal (digest_unhex (hex, back), -1);
    hex [10] = '0';
    hex [63] = 0;
    assert_int_equal (digest_unhex (hex, back), -1);
    assert_int_equal (digest_unhex ("", back), -1);
    char longer [DIGEST_HEX_SIZE + 1];
    memset (longer, 'a', sizeof longer - 1);
    longer [sizeof longer - 1] = 0;
    assert_int_equal (digest_unhex (longer, back), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_known_answers),
        cmocka_unit_test (test_cut_anywhere),
        cmocka_unit_test (test_hex),
        cmocka_unit_test (test_unhex),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
