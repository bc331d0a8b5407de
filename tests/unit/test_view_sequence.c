/*  test_view_sequence.c - sequence and instance tricks on the event
    stream, as a table: each row a script of events and snapshot pages fed
    to a view synced at (B1, 10) with alice: a.txt, b.txt, what each step
    must return, and what the view holds after (its users' files, synced
    or not). Replayed and old sequence numbers are ignored, a gap or an
    instance change mid-stream asks for a resync and applies nothing, an
    event about a user who never joined resyncs, a snapshot older than
    what the view applied is refused (the view stays as it was), buffered
    duplicates and gaps at a snapshot's replay. Adding a trick is one row.
    Then each string field of an event (user, path, rename's from, a join's
    file, broker id, digest) given each hostile value: refused, the view
    unchanged.
*/
#include "fixture_view.h"

typedef enum { ADDED, REMOVED, RENAMED, LEAVE, JOIN, JOIN_MORE, BEGIN, PAGE, END } step_kind_t;

typedef struct {
    step_kind_t kind;
    const char *broker;
    uint64_t seq;
    const char *user;
    const char *path;           //  RENAMED: to; JOIN: its one file; PAGE: alice's one file
    int expect;                 //  a view_result_t, or view_snapshot_page's return
} step_t;

typedef struct {
    const char *name;
    step_t steps [6];
    bool synced;
    const char *holds;          //  "user:path user:path ..." sorted, after the script
} trick_t;

#define IGNORED     VIEW_IGNORED
#define APPLIED     VIEW_APPLIED
#define RESYNC      VIEW_RESYNC
#define BUFFERED    VIEW_BUFFERED
//  The end of a script; a snapshot asked for
#define STOP        { END, NULL, 0, NULL, NULL, 0 }
#define ASK         { BEGIN, NULL, 0, NULL, NULL, 0 }

static const trick_t s_tricks [] = {
    { "replayed seq", { { ADDED, B1, 11, "alice", "c.txt", APPLIED },
                        { ADDED, B1, 11, "alice", "d.txt", IGNORED }, STOP },
      true, "alice:a.txt alice:b.txt alice:c.txt" },
    { "old seq", { { ADDED, B1, 5, "alice", "x.txt", IGNORED },
                   { ADDED, B1, 10, "alice", "x.txt", IGNORED }, STOP },
      true, "alice:a.txt alice:b.txt" },
    { "seq going back", { { ADDED, B1, 11, "alice", "c.txt", APPLIED },
                          { ADDED, B1, 12, "alice", "d.txt", APPLIED },
                          { REMOVED, B1, 11, "alice", "a.txt", IGNORED }, STOP },
      true, "alice:a.txt alice:b.txt alice:c.txt alice:d.txt" },
    { "gap", { { ADDED, B1, 13, "alice", "x.txt", RESYNC },
               { ADDED, B1, 14, "alice", "y.txt", BUFFERED }, STOP },
      false, "alice:a.txt alice:b.txt" },
    { "seq at the maximum", { { ADDED, B1, UINT64_MAX, "alice", "x.txt", RESYNC }, STOP },
      false, "alice:a.txt alice:b.txt" },
    { "instance change mid-stream", { { ADDED, B1, 11, "alice", "c.txt", APPLIED },
                                      { ADDED, B2, 12, "alice", "x.txt", RESYNC }, STOP },
      false, "alice:a.txt alice:b.txt alice:c.txt" },
    { "new instance from 1", { { ADDED, B2, 1, "alice", "x.txt", RESYNC }, STOP },
      false, "alice:a.txt alice:b.txt" },
    { "file of a user who never joined", { { ADDED, B1, 11, "mallory", "x.txt", RESYNC },
                                           STOP },
      false, "alice:a.txt alice:b.txt" },
    { "removal for a user who never joined", { { REMOVED, B1, 11, "mallory", "a.txt", RESYNC },
                                               STOP },
      false, "alice:a.txt alice:b.txt" },
    { "rename for a user who never joined", { { RENAMED, B1, 11, "mallory", "x.txt", RESYNC },
                                              STOP },
      false, "alice:a.txt alice:b.txt" },
    { "join page 1 of a user who never joined", { { JOIN_MORE, B1, 11, "mallory", "x.txt",
                                                    RESYNC }, STOP },
      false, "alice:a.txt alice:b.txt" },
    //  A leave of someone the view does not hold: nothing to drop
    { "leave of a user who never joined", { { LEAVE, B1, 11, "mallory", NULL, APPLIED },
                                            { ADDED, B1, 12, "alice", "c.txt", APPLIED },
                                            STOP },
      true, "alice:a.txt alice:b.txt alice:c.txt" },
    { "leave, then her events", { { LEAVE, B1, 11, "alice", NULL, APPLIED },
                                  { ADDED, B1, 12, "alice", "c.txt", RESYNC }, STOP },
      false, "" },
    { "join, leave, join again", { { JOIN, B1, 11, "bob", "x.txt", APPLIED },
                                   { LEAVE, B1, 12, "bob", NULL, APPLIED },
                                   { JOIN, B1, 13, "bob", "y.txt", APPLIED }, STOP },
      true, "alice:a.txt alice:b.txt bob:y.txt" },
    //  A snapshot older than what the view applied: refused, the view as it was
    { "stale snapshot", { { ADDED, B1, 11, "alice", "c.txt", APPLIED },
                          ASK, { PAGE, B1, 5, NULL, "old.txt", -1 }, STOP },
      false, "alice:a.txt alice:b.txt alice:c.txt" },
    { "snapshot one event behind", { { ADDED, B1, 11, "alice", "c.txt", APPLIED },
                                     ASK, { PAGE, B1, 10, NULL, "old.txt", -1 }, STOP },
      false, "alice:a.txt alice:b.txt alice:c.txt" },
    //  A broker id that is no text (a terminal escape): refused as a whole
    { "snapshot of a broker id with a control byte",
      { ASK, { PAGE, "b1\x1b[2J", 10, NULL, "x.txt", -1 }, STOP },
      false, "alice:a.txt alice:b.txt" },
    { "snapshot at the view's seq", { ASK, { PAGE, B1, 10, NULL, "now.txt", 1 },
                                      { ADDED, B1, 11, "alice", "c.txt", APPLIED }, STOP },
      true, "alice:c.txt alice:now.txt" },
    //  Another instance's snapshot (a restart): its events predate it
    { "snapshot of a new instance", { ASK, { ADDED, B1, 11, "alice", "c.txt", BUFFERED },
                                      { PAGE, B2, 3, NULL, "new.txt", 1 },
                                      { ADDED, B2, 4, "alice", "d.txt", APPLIED }, STOP },
      true, "alice:d.txt alice:new.txt" },
    { "replayed seq in the buffer", { ASK,
                                      { ADDED, B1, 11, "alice", "c.txt", BUFFERED },
                                      { ADDED, B1, 11, "alice", "dup.txt", BUFFERED },
                                      { PAGE, B1, 10, NULL, "a.txt", 1 }, STOP },
      true, "alice:a.txt alice:c.txt" },
    { "gap in the buffer", { ASK, { ADDED, B1, 12, "alice", "c.txt", BUFFERED },
                             { PAGE, B1, 10, NULL, "a.txt", -1 }, STOP },
      false, "alice:a.txt" },
};

static int
s_step (view_t *view, const step_t *step)
{
    const char *one [] = { step->path, NULL };
    switch (step->kind) {
        case ADDED:
            return s_added (view, step->broker, step->seq, step->user, step->path);
        case REMOVED:
            return s_event (view, step->broker, step->seq, FSHARE__EVENT_TYPE__EVENT_FILE_REMOVED,
                            step->user, step->path, 10, NULL);
        case RENAMED:
            return s_event (view, step->broker, step->seq, FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED,
                            step->user, step->path, 10, "a.txt");
        case LEAVE:
            return s_event (view, step->broker, step->seq, FSHARE__EVENT_TYPE__EVENT_LEAVE,
                            step->user, NULL, 0, NULL);
        case JOIN:
        case JOIN_MORE:
            return s_join (view, step->broker, step->seq, step->user,
                           step->kind == JOIN_MORE? 1: 0, false, one);
        case BEGIN:
            view_snapshot_begin (view);
            return 0;
        case PAGE:
            return s_page (view, step->broker, step->seq, false, "alice", one, false);
        default:
            return 0;
    }
}

//  "user:path ..." of everything the view holds, sorted (caller frees).
static char *
s_holds (view_t *view)
{
    char *text = strdup ("");
    zlistx_t *users = view_users_sorted (view);
    for (const char *user = (const char *) zlistx_first (users); user;
         user = (const char *) zlistx_next (users)) {
        zlistx_t *files = fileset_sorted (view_user_files (view, user));
        for (const fileset_file_t *file = (const fileset_file_t *) zlistx_first (files); file;
             file = (const fileset_file_t *) zlistx_next (files)) {
            char *more = zsys_sprintf ("%s%s%s:%s", text, *text? " ": "", user, file->path);
            free (text);
            text = more;
        }
        zlistx_destroy (&files);
    }
    zlistx_destroy (&users);
    return text;
}

static void
test_tricks (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_tricks / sizeof s_tricks [0]; i++) {
        const trick_t *trick = &s_tricks [i];
        view_t *view = s_synced_view (10);
        for (const step_t *step = trick->steps; step->kind != END; step++) {
            int got = s_step (view, step);
            if (got != step->expect)
                fail_msg ("%s, step %zu: %d, not %d", trick->name,
                          (size_t) (step - trick->steps), got, step->expect);
        }
        char *holds = s_holds (view);
        if (view_synced (view) != trick->synced || strneq (holds, trick->holds))
            fail_msg ("%s: %s '%s', not %s '%s'", trick->name,
                      view_synced (view)? "synced": "unsynced", holds,
                      trick->synced? "synced": "unsynced", trick->holds);
        free (holds);
        view_destroy (&view);
    }
}

//  --- Hostile values in each of an event's fields --------------------------------

static const char *s_hostile [] = {
    "", "a\xff" "b", "\xc0\xae", "a\nb", "a\x1b[2Jb", "..", "a/../b", "/abs", "a//b", "a/",
    ".a.fshare-part", NULL
};

typedef enum { AT_USER, AT_PATH, AT_FROM, AT_JOIN_PATH, AT_BROKER, AT_DIGEST, FIELDS } field_t;

static view_result_t
s_hostile_event (view_t *view, field_t field, const char *value, size_t digest)
{
    Fshare__Event event = FSHARE__EVENT__INIT;
    Fshare__FileInfo file = FSHARE__FILE_INFO__INIT;
    Fshare__FileInfo *files [] = { &file };
    uint8_t sha [64] = { 0 };
    event.broker = field == AT_BROKER? (char *) value: B1;
    event.seq = 11;
    event.user = field == AT_USER? (char *) value: "alice";
    file.path = field == AT_PATH || field == AT_JOIN_PATH? (char *) value: "c.txt";
    file.size = 1;
    file.sha256.data = sha;
    file.sha256.len = field == AT_DIGEST? digest: 0;
    if (field == AT_JOIN_PATH) {
        event.type = FSHARE__EVENT_TYPE__EVENT_JOIN;
        event.files = files;
        event.n_files = 1;
    }
    else {
        event.type = field == AT_FROM? FSHARE__EVENT_TYPE__EVENT_FILE_RENAMED
                                     : FSHARE__EVENT_TYPE__EVENT_FILE_ADDED;
        event.file = &file;
        event.from = field == AT_FROM? (char *) value: "";
    }
    return view_event (view, &event);
}

//  Each field x each value: refused (or, for the broker id, a resync),
//  and the view holds what it held.
static void
test_hostile_fields (void **state)
{
    (void) state;
    size_t cases = 0;
    for (field_t field = 0; field < FIELDS; field++)
        for (size_t i = 0; field == AT_DIGEST? i < 4: s_hostile [i] != NULL; i++) {
            size_t digests [] = { 1, 31, 33, 64 };
            view_t *view = s_synced_view (10);
            //  A partial download's name is a valid user or broker id
            bool partial = s_hostile [i] && s_hostile [i][0] == '.' && s_hostile [i][1] == 'a';
            if (partial && (field == AT_USER || field == AT_BROKER || field == AT_FROM)) {
                view_destroy (&view);
                continue;
            }
            view_result_t got = s_hostile_event (view, field, s_hostile [i],
                                                 field == AT_DIGEST? digests [i]: 0);
            view_result_t want = field == AT_BROKER? VIEW_RESYNC: VIEW_IGNORED;
            char *holds = s_holds (view);
            if (got != want || strneq (holds, "alice:a.txt alice:b.txt"))
                fail_msg ("field %d, value %zu: %d, not %d; holds '%s'", field, i, got, want,
                          holds);
            free (holds);
            view_destroy (&view);
            cases++;
        }
    assert_true (cases > 50);
}

int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_tricks),
        cmocka_unit_test (test_hostile_fields),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
