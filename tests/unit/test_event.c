/*  test_event.c - proto/event: topics and names of every event type, an
    event sent and received (two frames over an inproc pair), and what a
    receiver refuses (wrong topic, wrong frame count, bad fields, unknown
    fields, NUL bytes); the JSON and plain renderings, escaping for
    people included, times and sizes.
*/
#include "fixture.h"
#include "fshare.h"
#include <jansson.h>

//  True when `sock` has a message waiting now.
static bool
s_waiting (zsock_t *sock)
{
    return (zsock_events (sock) & ZMQ_POLLIN) != 0;
}

//  An event's packed bytes (caller frees), with `extra` bytes appended.
static byte *
s_pack (const Fshare__Event *event, const byte *extra, size_t extra_size, size_t *size)
{
    size_t packed = fshare__event__get_packed_size (event);
    byte *buffer = (byte *) zmalloc (packed + extra_size + 1);
    fshare__event__pack (event, buffer);
    if (extra_size)
        memcpy (buffer + packed, extra, extra_size);
    *size = packed + extra_size;
    return buffer;
}

//  Sends topic and body frames as given, then a valid event: returns
//  whether the first arrived as an event (the valid one must always come).
static bool
s_received (fixture_pair_t *self, const char *topic, const byte *body, size_t size, bool third)
{
    zmsg_t *msg = zmsg_new ();
    if (topic)
        zmsg_addstr (msg, topic);
    if (body)
        zmsg_addmem (msg, body, size);
    if (third)
        zmsg_addstr (msg, "extra");
    assert_int_equal (zmsg_send (&msg, self->out), 0);
    Fshare__Event *event = fsh_event_recv (self->in);
    bool got = event != NULL;
    fsh_event_destroy (&event);
    Fshare__Event good = FSHARE__EVENT__INIT;
    good.type = FSHARE__EVENT_TYPE__EVENT_LEAVE;
    good.user = "after";
    assert_int_equal (fsh_event_send (&good, self->out), 0);
    event = fsh_event_recv (self->in);
    assert_non_null (event);
    assert_string_equal (event->user, "after");
    fsh_event_destroy (&event);
    return got;
}

static void
test_topics_and_names (void **state)
{
    (void) state;
    struct { Fshare__EventType type; const char *topic, *name; } table [] = {
        { FSHARE__EVENT_TYPE__EVENT_JOIN,         "presence", "join" },
        { FSHARE__EVENT_TYPE__EVENT_LEAVE,        "presence", "leave" },
        { FSHARE__EVENT_TYPE__EVENT_FILE_ADDED,   "files",    "file_added" },
        { FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED, "files",    "file_changed" },
        { FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED, "files",    "file_removed" },
        { FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED, "files",    "file_renamed" },
        { FSHARE__EVENT_TYPE__EVENT_STATS,        "stats",    "stats" },
    };
    for (size_t i = 0; i < sizeof table / sizeof table [0]; i++) {
        assert_string_equal (fsh_event_topic (table [i].type), table [i].topic);
        assert_string_equal (fsh_event_type_name (table [i].type), table [i].name);
    }
    assert_null (fsh_event_topic ((Fshare__EventType) 99));
    assert_null (fsh_event_type_name ((Fshare__EventType) 99));
    assert_null (fsh_event_topic ((Fshare__EventType) -1));
}

static void
test_send_and_receive (void **state)
{
    fixture_pair_t *self = (fixture_pair_t *) *state;
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "docs/a.txt";
    file.size = 12;
    file.mtime = 1700000000;
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.broker = "b1";
    event.seq = 9;
    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED;
    event.user = "alice";
    event.file = &file;
    event.from = "docs/old.txt";
    assert_int_equal (fsh_event_send (&event, self->out), 0);
    zmsg_t *raw = zmsg_recv (self->in);
    assert_non_null (raw);
    assert_int_equal (zmsg_size (raw), 2);
    assert_true (zframe_streq (zmsg_first (raw), "files"));
    zmsg_destroy (&raw);
    assert_int_equal (fsh_event_send (&event, self->out), 0);
    Fshare__Event *copy = fsh_event_recv (self->in);
    assert_non_null (copy);
    assert_int_equal (copy->seq, 9);
    assert_string_equal (copy->from, "docs/old.txt");
    assert_string_equal (copy->file->path, "docs/a.txt");
    fsh_event_destroy (&copy);
    assert_null (copy);
    fsh_event_destroy (&copy);
    //  An unknown type has no topic: nothing is sent
    event.type = (Fshare__EventType) 99;
    assert_int_equal (fsh_event_send (&event, self->out), -1);
    assert_false (s_waiting (self->in));
}

static void
test_receiver_refuses (void **state)
{
    fixture_pair_t *self = (fixture_pair_t *) *state;
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "a.txt";
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_ADDED;
    event.user = "alice";
    event.file = &file;
    size_t size;
    byte *body = s_pack (&event, NULL, 0, &size);
    assert_true (s_received (self, "files", body, size, false));
    //  Wrong topic, no topic, one frame, three frames, no body
    assert_false (s_received (self, "presence", body, size, false));
    assert_false (s_received (self, "file", body, size, false));
    assert_false (s_received (self, "", body, size, false));
    assert_false (s_received (self, NULL, body, size, false));
    assert_false (s_received (self, "files", body, size, true));
    assert_false (s_received (self, "files", NULL, 0, false));
    //  Every truncation of the body, and garbage
    for (size_t cut = 0; cut < size; cut++)
        assert_false (s_received (self, "files", body, cut, false));
    const byte garbage [] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
    assert_false (s_received (self, "files", garbage, sizeof garbage, false));
    //  An unknown field (number 99, varint 1) is not ours
    const byte unknown [] = { 0x98, 0x06, 0x01 };
    byte *more = s_pack (&event, unknown, sizeof unknown, &size);
    assert_false (s_received (self, "files", more, size, false));
    free (more);
    free (body);
    //  A NUL byte in a string: Event { user = "bob\0x" }
    const byte nul [] = { 5 << 3 | 2, 5, 'b', 'o', 'b', 0, 'x', 4 << 3, 2 };
    assert_false (s_received (self, "presence", nul, sizeof nul, false));
    const byte no_nul [] = { 5 << 3 | 2, 5, 'b', 'o', 'b', 'b', 'x', 4 << 3, 2 };
    assert_true (s_received (self, "presence", no_nul, sizeof no_nul, false));
    //  Fields that fail fsh_event_check
    event.user = "../alice";
    body = s_pack (&event, NULL, 0, &size);
    assert_false (s_received (self, "files", body, size, false));
    free (body);
    event.user = "alice";
    file.path = "/etc/passwd";
    body = s_pack (&event, NULL, 0, &size);
    assert_false (s_received (self, "files", body, size, false));
    free (body);
}

static void
test_check (void **state)
{
    (void) state;
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    file.path = "a.txt";
    Fshare__FileInfo bad_file = FSHARE__FILE_INFO__INIT;
    bad_file.path = "a/../../b";
    Fshare__Stats stats = FSHARE__STATS__INIT;
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.user = "alice";
    //  Stats: need stats, no user
    event.type = FSHARE__EVENT_TYPE__EVENT_STATS;
    event.user = "";
    assert_non_null (fsh_event_check (&event));
    event.stats = &stats;
    assert_null (fsh_event_check (&event));
    event.stats = NULL;
    event.user = "alice";
    //  Join: every file checked
    event.type = FSHARE__EVENT_TYPE__EVENT_JOIN;
    assert_null (fsh_event_check (&event));
    Fshare__FileInfo *files [] = { &file, &bad_file };
    event.files = files;
    event.n_files = 1;
    assert_null (fsh_event_check (&event));
    event.n_files = 2;
    assert_non_null (fsh_event_check (&event));
    event.n_files = 0;
    //  Leave: a user only
    event.type = FSHARE__EVENT_TYPE__EVENT_LEAVE;
    assert_null (fsh_event_check (&event));
    event.user = "";
    assert_non_null (fsh_event_check (&event));
    event.user = "-rf";
    assert_non_null (fsh_event_check (&event));
    event.user = "alice";
    //  File events: a valid file; a rename also a valid from
    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_CHANGED;
    assert_non_null (fsh_event_check (&event));
    event.file = &bad_file;
    assert_non_null (fsh_event_check (&event));
    event.file = &file;
    assert_null (fsh_event_check (&event));
    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED;
    event.from = "";
    assert_non_null (fsh_event_check (&event));
    event.from = "../escape";
    assert_non_null (fsh_event_check (&event));
    event.from = "old.txt";
    assert_null (fsh_event_check (&event));
    //  The broker id: at most 64 bytes of text
    char broker [66];
    memset (broker, 'b', 65);
    broker [65] = 0;
    event.broker = broker;
    assert_non_null (fsh_event_check (&event));
    broker [64] = 0;
    assert_null (fsh_event_check (&event));
    event.broker = "b\x1b";
    assert_non_null (fsh_event_check (&event));
    event.broker = "b";
    event.type = (Fshare__EventType) 99;
    assert_non_null (fsh_event_check (&event));
}

static void
test_json (void **state)
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

    char *text = fsh_event_json (&event);
    json_error_t error;
    json_t *obj = json_loads (text, 0, &error);
    assert_non_null (obj);
    assert_null (strchr (text, '\n'));
    assert_int_equal (json_integer_value (json_object_get (obj, "seq")), 7);
    assert_string_equal (json_string_value (json_object_get (obj, "broker")), "b1");
    assert_string_equal (json_string_value (json_object_get (obj, "type")), "join");
    assert_string_equal (json_string_value (json_object_get (obj, "time")),
                         "2023-11-14T22:13:20.123Z");
    json_t *first = json_array_get (json_object_get (obj, "files"), 0);
    assert_string_equal (json_string_value (json_object_get (first, "path")), file.path);
    assert_int_equal (json_integer_value (json_object_get (first, "size")), 1536);
    assert_true (json_is_null (json_object_get (first, "sha256")));
    //  The first page of a list in one event says nothing of pages
    assert_null (json_object_get (obj, "page"));
    json_decref (obj);
    free (text);
    event.page = 2;
    event.more = true;
    text = fsh_event_json (&event);
    obj = json_loads (text, 0, &error);
    assert_int_equal (json_integer_value (json_object_get (obj, "page")), 2);
    assert_true (json_is_true (json_object_get (obj, "more")));
    json_decref (obj);
    free (text);

    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED;
    event.file = &file;
    event.from = "old.pdf";
    event.n_files = 0;
    uint8_t digest [32];
    for (int i = 0; i < 32; i++)
        digest [i] = (uint8_t) (i * 8 + 1);
    file.sha256.data = digest;
    file.sha256.len = 32;
    text = fsh_event_json (&event);
    obj = json_loads (text, 0, &error);
    assert_string_equal (json_string_value (json_object_get (obj, "from")), "old.pdf");
    assert_string_equal (json_string_value (json_object_get (obj, "path")), file.path);
    assert_int_equal (json_integer_value (json_object_get (obj, "mtime")), 1700000000);
    assert_string_equal (json_string_value (json_object_get (obj, "sha256")),
                         "0109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f9");
    assert_null (json_object_get (obj, "files"));
    json_decref (obj);
    free (text);
    //  Anything but 32 bytes is no digest
    file.sha256.len = 31;
    json_t *none = fsh_sha256_json (&file);
    assert_true (json_is_null (none));
    json_decref (none);

    Fshare__Stats stats = FSHARE__STATS__INIT;
    stats.peers = 3;
    stats.bytes_relayed = UINT32_MAX + 5ULL;
    event.type = FSHARE__EVENT_TYPE__EVENT_STATS;
    event.stats = &stats;
    text = fsh_event_json (&event);
    obj = json_loads (text, 0, &error);
    assert_int_equal (json_integer_value (json_object_get (obj, "peers")), 3);
    assert_int_equal (json_integer_value (json_object_get (obj, "bytes_relayed")),
                      UINT32_MAX + 5ULL);
    assert_null (json_object_get (obj, "user"));
    json_decref (obj);
    free (text);
}

//  What fsh_event_print (or _write) puts out, as a string (caller frees).
static char *
s_printed (const Fshare__Event *event, bool json)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert_non_null (out);
    fsh_event_write (event, json, out);
    fclose (out);
    return text;
}

static void
test_print (void **state)
{
    (void) state;
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    //  Valid UTF-8 that a terminal would act on: C1 CSI, a bidi override
    file.path = "a\xc2\x9b" "31m\xe2\x80\xaetxt.exe";
    file.size = 1536;
    Fshare__Event event = FSHARE__EVENT__INIT;
    event.broker = "b1";
    event.seq = 42;
    event.time_ms = 0;
    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_ADDED;
    event.user = "bob";
    event.file = &file;
    assert_null (fsh_event_check (&event));
    char *line = s_printed (&event, false);
    assert_string_equal (line, "1970-01-01T00:00:00.000Z #42     file_added   bob: "
                               "a\\u009b31m\\u202etxt.exe (1.5 KiB)\n");
    free (line);
    //  JSON carries the text as data (jansson escapes controls)
    line = s_printed (&event, true);
    assert_non_null (strstr (line, "\"type\":\"file_added\""));
    assert_int_equal (line [strlen (line) - 1], '\n');
    free (line);
    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED;
    file.path = "new.txt";
    event.from = "old\xc2\x85.txt";
    line = s_printed (&event, false);
    assert_non_null (strstr (line, "bob: old\\u0085.txt -> new.txt\n"));
    free (line);
    event.type = FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED;
    line = s_printed (&event, false);
    assert_non_null (strstr (line, "file_removed bob: new.txt\n"));
    free (line);
    event.type = FSHARE__EVENT_TYPE__EVENT_JOIN;
    event.file = NULL;
    event.n_files = 0;
    event.more = true;
    line = s_printed (&event, false);
    assert_non_null (strstr (line, "join         bob (0 files, more follow)\n"));
    free (line);
    event.type = FSHARE__EVENT_TYPE__EVENT_LEAVE;
    line = s_printed (&event, false);
    assert_non_null (strstr (line, "leave        bob\n"));
    free (line);
    Fshare__Stats stats = FSHARE__STATS__INIT;
    stats.peers = 2;
    stats.files = 10;
    stats.transfers = 1;
    stats.bytes_relayed = 99;
    event.type = FSHARE__EVENT_TYPE__EVENT_STATS;
    event.stats = &stats;
    line = s_printed (&event, false);
    assert_non_null (strstr (line, "stats        2 peers, 10 files, 1 transfers, "
                                   "99 bytes relayed\n"));
    free (line);
}

static void
test_times_and_sizes (void **state)
{
    (void) state;
    char when [40];
    fsh_iso_time (-1, when, sizeof when);
    assert_string_equal (when, "1969-12-31T23:59:59.999Z");
    fsh_iso_time (-1000, when, sizeof when);
    assert_string_equal (when, "1969-12-31T23:59:59.000Z");
    fsh_iso_time (-1001, when, sizeof when);
    assert_string_equal (when, "1969-12-31T23:59:58.999Z");
    fsh_iso_time (999, when, sizeof when);
    assert_string_equal (when, "1970-01-01T00:00:00.999Z");
    fsh_iso_time (1700000000123, when, sizeof when);
    assert_string_equal (when, "2023-11-14T22:13:20.123Z");
    fsh_iso_time (253402300799999, when, sizeof when);
    assert_string_equal (when, "9999-12-31T23:59:59.999Z");
    //  A short buffer is cut, never overrun
    char small [8];
    fsh_iso_time (0, small, sizeof small);
    assert_string_equal (small, "1970-01");

    char size [32];
    struct { uint64_t bytes; const char *shown; } sizes [] = {
        { 0, "0 B" }, { 12, "12 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
        { 1536, "1.5 KiB" }, { 1048576, "1.0 MiB" }, { 1073741824ULL * 3, "3.0 GiB" },
        { 1099511627776ULL, "1.0 TiB" }, { 1125899906842624ULL, "1024.0 TiB" },
        { UINT64_MAX, "16777216.0 TiB" },
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes [0]; i++) {
        fsh_human_size (sizes [i].bytes, size, sizeof size);
        assert_string_equal (size, sizes [i].shown);
    }
    fsh_human_size (UINT64_MAX, small, sizeof small);
    assert_int_equal (strlen (small), sizeof small - 1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_topics_and_names),
        cmocka_unit_test_setup_teardown (test_send_and_receive, fixture_pair_setup, fixture_pair_teardown),
        cmocka_unit_test_setup_teardown (test_receiver_refuses, fixture_pair_setup, fixture_pair_teardown),
        cmocka_unit_test (test_check),
        cmocka_unit_test (test_json),
        cmocka_unit_test (test_print),
        cmocka_unit_test (test_times_and_sizes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
