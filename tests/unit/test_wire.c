/*  test_wire.c - decoding refuses what protobuf-c would silently cut:
    a NUL byte inside any string field, at any depth (proto/wire.c), for
    requests, events and the control protocol alike; the same bytes
    without the NUL decode. Garbage and every truncation of a valid
    message are refused or decode without harm. A frame that would take
    more than FSH_DECODE_ITEMS_MAX allocations is refused before decoding.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "fshare.h"

//  A length-delimited field: key, length, bytes (all short here).
static size_t
s_field (byte *out, unsigned number, const byte *data, size_t size)
{
    out [0] = (byte) (number << 3 | 2);
    out [1] = (byte) size;
    memcpy (out + 2, data, size);
    return size + 2;
}

//  Message { session = S, login { user = U, password = "pw", version = 2 } }
static size_t
s_login (byte *out, const char *session, size_t session_size, const char *user,
         size_t user_size)
{
    byte login [64];
    size_t size = s_field (login, 1, (const byte *) user, user_size);
    size += s_field (login + size, 2, (const byte *) "pw", 2);
    login [size++] = 3 << 3;
    login [size++] = FSH_PROTOCOL_VERSION;
    size_t total = s_field (out, 2, (const byte *) session, session_size);
    return total + s_field (out + total, 10, login, size);
}

static void
test_nul_in_top_and_nested_strings (void **state)
{
    (void) state;
    byte buf [128];
    size_t size = s_login (buf, "tok", 3, "alice", 5);
    Fshare__Message *msg = fsh_msg_decode (buf, size);
    assert_non_null (msg);
    assert_string_equal (msg->login->user, "alice");
    fsh_msg_destroy (&msg);
    assert_false (fsh_wire_has_nul (&fshare__message__descriptor, buf, size));

    //  In a sub-message's string, and in the envelope's own
    size = s_login (buf, "tok", 3, "nul\0user", 8);
    assert_true (fsh_wire_has_nul (&fshare__message__descriptor, buf, size));
    assert_null (fsh_msg_decode (buf, size));
    size = s_login (buf, "tok\0junk", 8, "alice", 5);
    assert_null (fsh_msg_decode (buf, size));
}

static void
test_nul_two_levels_down (void **state)
{
    (void) state;
    //  Message { publish { files { path = "nul\0../../x" } } }
    byte info [64], files [72], publish [80], buf [96];
    size_t size = s_field (info, 1, (const byte *) "nul\0../../x", 11);
    size = s_field (files, 1, info, size);
    size = s_field (publish, 12, files, size);
    memcpy (buf, publish, size);
    assert_null (fsh_msg_decode (buf, size));
    //  Bytes fields may hold NUL (digests do)
    byte digest [34] = { 4 << 3 | 2, 32 };
    size = s_field (info, 1, (const byte *) "ok", 2);
    memcpy (info + size, digest, sizeof digest);
    size += sizeof digest;
    size = s_field (files, 1, info, size);
    size = s_field (buf, 12, files, size);
    Fshare__Message *msg = fsh_msg_decode (buf, size);
    assert_non_null (msg);
    assert_int_equal (msg->publish->files [0]->sha256.len, 32);
    fsh_msg_destroy (&msg);
}

//  Message { publish { files {} x count } } of two-byte empty entries,
//  behind a 3-byte varint length. Returns the size.
static size_t
s_empty_files (byte *out, size_t count)
{
    size_t body = 2 * count;
    out [0] = 12 << 3 | 2;
    out [1] = (byte) (body | 0x80);
    out [2] = (byte) ((body >> 7) | 0x80);
    out [3] = (byte) (body >> 14);
    for (size_t i = 0; i < count; i++) {
        out [4 + 2 * i] = 1 << 3 | 2;
        out [5 + 2 * i] = 0;
    }
    return 4 + body;
}

static void
test_too_many_items (void **state)
{
    (void) state;
    //  Within the bound: decodes (and the broker refuses it on its merits)
    size_t count = FSH_DECODE_ITEMS_MAX - 1;
    byte *buf = (byte *) malloc (4 + 2 * (FSH_DECODE_ITEMS_MAX + 1));
    Fshare__Message *msg = fsh_msg_decode (buf, s_empty_files (buf, count));
    assert_non_null (msg);
    assert_int_equal (msg->publish->n_files, count);
    fsh_msg_destroy (&msg);
    //  Beyond: 256 KiB on the wire, tens of MB in protobuf-c; refused
    assert_null (fsh_msg_decode (buf, s_empty_files (buf, FSH_DECODE_ITEMS_MAX + 1)));
    free (buf);
}

static void
test_nul_in_events_and_control (void **state)
{
    (void) state;
    //  Event { user = "bob\0" }; CtlRequest { command = "ls", args = "a\0b" }
    byte buf [32];
    size_t size = s_field (buf, 5, (const byte *) "bob\0", 4);
    assert_null (fsh_unpack (&fshare__event__descriptor, buf, size));
    size = s_field (buf, 1, (const byte *) "ls", 2);
    size += s_field (buf + size, 2, (const byte *) "a\0b", 3);
    assert_null (fsh_unpack (&fshare__ctl_request__descriptor, buf, size));
    size = s_field (buf, 1, (const byte *) "ls", 2);
    ProtobufCMessage *ok = fsh_unpack (&fshare__ctl_request__descriptor, buf, size);
    assert_non_null (ok);
    protobuf_c_message_free_unpacked (ok, NULL);
}

static void
test_malformed_left_to_protobuf (void **state)
{
    (void) state;
    //  A length running past the end, a truncated varint, a bad wire type
    byte cut [] = { 2 << 3 | 2, 100, 'a' };
    byte varint [] = { 1 << 3, 0xFF };
    byte wire [] = { 1 << 3 | 7, 0 };
    assert_null (fsh_msg_decode (cut, sizeof cut));
    assert_null (fsh_msg_decode (varint, sizeof varint));
    assert_null (fsh_msg_decode (wire, sizeof wire));
    assert_false (fsh_wire_has_nul (&fshare__message__descriptor, cut, sizeof cut));
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

//  fsh_msg_set_body: the envelope of every kind, as protobuf-c packs it.
static void
test_set_body (void **state)
{
    (void) state;
    Fshare__Pong pong = FSHARE__PONG__INIT;
    pong.broker = "b1";
    pong.seq = 42;
    Fshare__Message msg = FSHARE__MESSAGE__INIT;
    fsh_msg_set_body (&msg, 7, FSHARE__MESSAGE__BODY_PONG, &pong);
    assert_int_equal (msg.id, 7);
    assert_int_equal (msg.body_case, FSHARE__MESSAGE__BODY_PONG);
    assert_ptr_equal (msg.pong, &pong);
    byte buffer [256];
    size_t size = fshare__message__pack (&msg, buffer);
    Fshare__Message *copy = fsh_msg_decode (buffer, size);
    assert_non_null (copy);
    assert_int_equal (copy->id, 7);
    assert_int_equal (copy->body_case, FSHARE__MESSAGE__BODY_PONG);
    assert_string_equal (copy->pong->broker, "b1");
    assert_int_equal (copy->pong->seq, 42);
    fsh_msg_destroy (&copy);
    //  A kind whose body has a body of its own
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "a.txt";
    Fshare__Change change = FSHARE__CHANGE__INIT;
    change.kind = FSHARE__CHANGE_KIND__CHANGE_ADDED;
    change.file = &file;
    fsh_msg_set_body (&msg, 8, FSHARE__MESSAGE__BODY_CHANGE, &change);
    size = fshare__message__pack (&msg, buffer);
    copy = fsh_msg_decode (buffer, size);
    assert_non_null (copy);
    assert_int_equal (copy->body_case, FSHARE__MESSAGE__BODY_CHANGE);
    assert_string_equal (copy->change->file->path, "a.txt");
    fsh_msg_destroy (&copy);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_nul_in_top_and_nested_strings),
        cmocka_unit_test (test_nul_two_levels_down),
        cmocka_unit_test (test_nul_in_events_and_control),
        cmocka_unit_test (test_too_many_items),
        cmocka_unit_test (test_malformed_left_to_protobuf),
        cmocka_unit_test (test_set_body),
        cmocka_unit_test (test_wire_rejects_garbage),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
