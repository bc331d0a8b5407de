/*  test_digestdb.c - the agent's digest database (peer/digestdb.c).

    What SPEC 4.5 promises of it: a digest valid only for the exact
    version of a file; it persists; a database that is garbage, of another
    schema or of our schema with junk rows is never fatal (rebuilt, or the
    junk is a miss), nor is its name held by a FIFO, a symlink or a
    directory (moved aside, never followed), nor one of another user's
    (moved aside, not trusted); the readers of other threads see what was committed,
    never write, and never rebuild.
*/
#include "fixture.h"
#include "digestdb.h"
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

static void
test_database (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digestdb");
    char *path = fixture_path (fx, "digests.db");
    digestdb_t *db = digestdb_open (path);
    assert_non_null (db);
    assert_false (digestdb_rebuilt (db));
    file_key_t key = { 1, 2, 3, 4, 5, 0, 0 };
    uint8_t sha [DIGEST_SIZE], got [DIGEST_SIZE];
    memset (sha, 0xab, sizeof sha);
    assert_false (digestdb_lookup (db, &key, got));
    digestdb_store (db, &key, sha);
    assert_true (digestdb_lookup (db, &key, got));
    assert_memory_equal (got, sha, DIGEST_SIZE);
    //  Another version of the same inode is not known
    file_key_t touched = key;
    touched.ctime_ns++;
    assert_false (digestdb_lookup (db, &touched, got));
    //  ...whichever part of the version differs
    file_key_t other = key;
    other.mtime_ns++;
    assert_false (digestdb_lookup (db, &other, got));
    other = key;
    other.size++;
    assert_false (digestdb_lookup (db, &other, got));
    other = key;
    other.dev++;
    assert_false (digestdb_lookup (db, &other, got));
    other = key;
    other.ino++;
    assert_false (digestdb_lookup (db, &other, got));
    assert_true (digestdb_lookup (db, &key, got));
    digestdb_destroy (&db);

    //  It persists
    db = digestdb_open (path);
    assert_true (digestdb_lookup (db, &key, got));
    digestdb_destroy (&db);

    //  Garbage in its place: rebuilt empty, and usable
    fixture_write (path, "this is not a database, and never was one: SQLite says so\n");
    char *wal = zsys_sprintf ("%s-wal", path);
    unlink (wal);
    zstr_free (&wal);
    db = digestdb_open (path);
    assert_non_null (db);
    assert_true (digestdb_rebuilt (db));
    assert_false (digestdb_lookup (db, &key, got));
    digestdb_store (db, &key, sha);
    assert_true (digestdb_lookup (db, &key, got));
    digestdb_destroy (&db);
    zstr_free (&path);
    fixture_destroy (&fx);
}

//  Rows written behind the database's back: SQL run on the file.
static void
s_sql (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    char *error = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &error);
    if (rc != SQLITE_OK)
        fail_msg ("%s: %s", sql, error);
    sqlite3_close (db);
}

//  Junk rows in a database of our schema: a digest of the wrong length,
//  of the wrong type, a key's fields that do not match: all misses, and
//  a store over them mends them.
static void
test_junk_rows (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digestdb-junk");
    char *path = fixture_path (fx, "digests.db");
    digestdb_t *db = digestdb_open (path);
    digestdb_destroy (&db);
    s_sql (path, "INSERT INTO digests VALUES (1, 1, 10, 100, 1000, x'0102', 1);"
                 "INSERT INTO digests VALUES (1, 2, 10, 100, 1000, 'not a blob at all, no', 1);"
                 "INSERT INTO digests VALUES (1, 3, 10, 100, 1000, zeroblob (33), 'junk');"
                 "INSERT INTO digests VALUES (1, 4, -5, 100, 1000, zeroblob (32), -7);");
    db = digestdb_open (path);
    assert_false (digestdb_rebuilt (db));
    uint8_t got [DIGEST_SIZE], sha [DIGEST_SIZE];
    memset (sha, 0x42, sizeof sha);
    for (uint64_t ino = 1; ino <= 3; ino++) {
        file_key_t key = { 1, ino, 10, 100, 1000, 0, 0 };
        assert_false (digestdb_lookup (db, &key, got));
    }
    //  A row whose size is not the file's is another version
    file_key_t key = { 1, 4, 10, 100, 1000, 0, 0 };
    assert_false (digestdb_lookup (db, &key, got));
    //  Stored again: the junk row is replaced
    key.ino = 1;
    digestdb_store (db, &key, sha);
    digestdb_flush (db);
    assert_true (digestdb_lookup (db, &key, got));
    assert_memory_equal (got, sha, DIGEST_SIZE);
    digestdb_destroy (&db);
    zstr_free (&path);
    fixture_destroy (&fx);
}

//  Another schema: a newer version number, or our version with a table
//  that is not ours. Rebuilt empty (the old file kept aside), and usable.
static void
test_other_schema (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digestdb-schema");
    char *path = fixture_path (fx, "digests.db");
    char *aside = zsys_sprintf ("%s.broken", path);
    s_sql (path, "CREATE TABLE digests (dev INTEGER, ino INTEGER, sha256 BLOB);"
                 "PRAGMA user_version = 3;");
    digestdb_t *db = digestdb_open (path);
    assert_non_null (db);
    assert_true (digestdb_rebuilt (db));
    assert_int_equal (access (aside, F_OK), 0);
    file_key_t key = { 9, 9, 9, 9, 9, 0, 0 };
    uint8_t sha [DIGEST_SIZE], got [DIGEST_SIZE];
    memset (sha, 0x17, sizeof sha);
    digestdb_store (db, &key, sha);
    assert_true (digestdb_lookup (db, &key, got));
    digestdb_destroy (&db);
    //  The rebuilt one is ours: kept as it is at the next open
    db = digestdb_open (path);
    assert_false (digestdb_rebuilt (db));
    assert_true (digestdb_lookup (db, &key, got));
    digestdb_destroy (&db);

    unlink (path);
    unlink (aside);
    s_sql (path, "CREATE TABLE digests (dev INTEGER, ino INTEGER, sha256 BLOB);"
                 "PRAGMA user_version = 1;");
    db = digestdb_open (path);
    assert_non_null (db);
    assert_true (digestdb_rebuilt (db));
    digestdb_store (db, &key, sha);
    assert_true (digestdb_lookup (db, &key, got));
    digestdb_destroy (&db);
    zstr_free (&aside);
    zstr_free (&path);
    fixture_destroy (&fx);
}

//  Rows of files gone are forgotten: one not used (looked up or stored) in
//  the last 3 runs (opens) is deleted at the next; one looked up is kept,
//  however many runs pass.
static void
test_forgets_unused_rows (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digestdb-forget");
    char *path = fixture_path (fx, "digests.db");
    file_key_t kept = { 1, 1, 10, 100, 1000, 0, 0 }, gone = { 1, 2, 10, 100, 1000, 0, 0 };
    uint8_t sha [DIGEST_SIZE], got [DIGEST_SIZE];
    memset (sha, 0x5c, sizeof sha);
    digestdb_t *db = digestdb_open (path);
    assert_int_equal (digestdb_run (db), 1);
    digestdb_store (db, &kept, sha);
    digestdb_store (db, &gone, sha);
    digestdb_destroy (&db);
    for (int64_t run = 2; run <= 5; run++) {
        db = digestdb_open (path);
        assert_int_equal (digestdb_run (db), run);
        assert_true (digestdb_lookup (db, &kept, got));
        digestdb_destroy (&db);
    }
    //  Run 5 deleted what no run since the first used
    db = digestdb_open (path);
    assert_true (digestdb_lookup (db, &kept, got));
    assert_false (digestdb_lookup (db, &gone, got));
    digestdb_destroy (&db);
    //  Used in run 6, then 3 runs without: still there at run 9...
    for (int run = 7; run <= 9; run++) {
        db = digestdb_open (path);
        digestdb_t *reader = digestdb_open_reader (path);
        assert_true (digestdb_lookup (reader, &kept, got));
        digestdb_destroy (&reader);
        digestdb_destroy (&db);
    }
    db = digestdb_open (path);
    assert_int_equal (digestdb_run (db), 10);
    //  ...and gone at run 10, which no run since 6 used
    assert_false (digestdb_lookup (db, &kept, got));
    //  A reader never counts as a run (its lookups above kept nothing)
    digestdb_t *reader = digestdb_open_reader (path);
    assert_non_null (reader);
    assert_int_equal (digestdb_run (reader), 0);
    digestdb_destroy (&reader);
    digestdb_destroy (&db);
    zstr_free (&path);
    fixture_destroy (&fx);
}

//  A database of the first schema (no run counts) is kept: its digests
//  still hit, nothing is hashed again after the upgrade.
static void
test_first_schema_kept (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digestdb-v1");
    char *path = fixture_path (fx, "digests.db");
    s_sql (path, "CREATE TABLE digests ("
                 "  dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL,"
                 "  mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, sha256 BLOB NOT NULL,"
                 "  PRIMARY KEY (dev, ino)) WITHOUT ROWID;"
                 "INSERT INTO digests VALUES (3, 4, 5, 6, 7, zeroblob (32));"
                 "PRAGMA user_version = 1;");
    digestdb_t *db = digestdb_open (path);
    assert_false (digestdb_rebuilt (db));
    file_key_t key = { 3, 4, 5, 6, 7, 0, 0 };
    uint8_t got [DIGEST_SIZE], zero [DIGEST_SIZE] = { 0 };
    assert_true (digestdb_lookup (db, &key, got));
    assert_memory_equal (got, zero, DIGEST_SIZE);
    digestdb_destroy (&db);
    db = digestdb_open (path);
    assert_false (digestdb_rebuilt (db));
    assert_true (digestdb_lookup (db, &key, got));
    digestdb_destroy (&db);
    zstr_free (&path);
    fixture_destroy (&fx);
}

//  Where no file can be: in memory, never NULL; in memory on request.
static void
test_memory (void **state)
{
    (void) state;
    uint8_t sha [DIGEST_SIZE], got [DIGEST_SIZE];
    memset (sha, 0x33, sizeof sha);
    file_key_t key = { 1, 2, 3, 4, 5, 0, 0 };
    const char *paths [] = { NULL, "/nonexistent/fshare/dir/digests.db" };
    for (int i = 0; i < 2; i++) {
        digestdb_t *db = digestdb_open (paths [i]);
        assert_non_null (db);
        assert_false (digestdb_lookup (db, &key, got));
        digestdb_store (db, &key, sha);
        digestdb_flush (db);
        assert_true (digestdb_lookup (db, &key, got));
        assert_memory_equal (got, sha, DIGEST_SIZE);
        digestdb_destroy (&db);
        assert_null (db);
    }
    digestdb_destroy (&(digestdb_t *) { NULL });
}

//  A reader sees what the writer committed, and nothing before the
//  commit; it never creates, rebuilds or writes.
static void
test_reader (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digestdb-reader");
    char *path = fixture_path (fx, "digests.db");
    assert_null (digestdb_open_reader (path));
    assert_int_equal (access (path, F_OK), -1);
    assert_null (digestdb_open_reader (NULL));

    digestdb_t *db = digestdb_open (path);
    digestdb_t *reader = digestdb_open_reader (path);
    assert_non_null (reader);
    file_key_t key = { 4, 4, 4, 4, 4, 0, 0 };
    uint8_t sha [DIGEST_SIZE], got [DIGEST_SIZE];
    memset (sha, 0x44, sizeof sha);
    digestdb_store (db, &key, sha);
    assert_false (digestdb_lookup (reader, &key, got));
    digestdb_flush (db);
    assert_true (digestdb_lookup (reader, &key, got));
    assert_memory_equal (got, sha, DIGEST_SIZE);
    //  A batch commits by itself after a few hundred stores
    file_key_t many = { 5, 0, 1, 1, 1, 0, 0 };
    for (int i = 0; i < 300; i++) {
        many.ino = (uint64_t) i + 1;
        digestdb_store (db, &many, sha);
    }
    many.ino = 1;
    assert_true (digestdb_lookup (reader, &many, got));
    digestdb_destroy (&reader);
    digestdb_destroy (&db);

    //  Garbage: the reader gives up, and leaves the file as it was
    fixture_write (path, "garbage, and not a database; it says so itself\n");
    char *wal = zsys_sprintf ("%s-wal", path);
    unlink (wal);
    zstr_free (&wal);
    reader = digestdb_open_reader (path);
    if (reader) {
        assert_false (digestdb_lookup (reader, &key, got));
        assert_false (digestdb_rebuilt (reader));
        digestdb_destroy (&reader);
    }
    FILE *file = fopen (path, "r");
    char line [128] = "";
    assert_non_null (fgets (line, sizeof line, file));
    fclose (file);
    assert_string_equal (line, "garbage, and not a database; it says so itself\n");
    zstr_free (&path);
    fixture_destroy (&fx);
}

//  A sound database that cannot be written (its state directory on a full
//  disk, a read-only one, a wal-index that cannot be made: here the
//  -shm's name taken by a directory, as an unwritable directory is for
//  root) is no broken one: it stays where it is, as it is, its digests
//  are still found (a restart reads nothing), and this run's new digests
//  are kept in memory. Once it can be written again it is used as before.
static void
test_unwritable_kept (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digestdb-unwritable");
    char *path = fixture_path (fx, "digests.db");
    char *aside = zsys_sprintf ("%s.broken", path);
    char *shm = zsys_sprintf ("%s-shm", path);
    uint8_t sha [DIGEST_SIZE], other [DIGEST_SIZE], got [DIGEST_SIZE];
    memset (sha, 0x55, sizeof sha);
    memset (other, 0x66, sizeof other);
    file_key_t key = { 7, 7, 7, 7, 7, 0, 0 }, fresh = { 7, 8, 8, 8, 8, 0, 0 };
    digestdb_t *db = digestdb_open (path);
    digestdb_store (db, &key, sha);
    digestdb_destroy (&db);
    struct stat before;
    assert_int_equal (stat (path, &before), 0);

    assert_int_equal (mkdir (shm, 0700), 0);
    db = digestdb_open (path);
    assert_non_null (db);
    assert_false (digestdb_rebuilt (db));
    assert_int_equal (access (aside, F_OK), -1);
    assert_true (digestdb_lookup (db, &key, got));
    assert_memory_equal (got, sha, DIGEST_SIZE);
    digestdb_store (db, &fresh, other);
    digestdb_flush (db);
    assert_true (digestdb_lookup (db, &fresh, got));
    assert_memory_equal (got, other, DIGEST_SIZE);
    digestdb_destroy (&db);
    struct stat after;
    assert_int_equal (stat (path, &after), 0);
    assert_int_equal (after.st_size, before.st_size);
    assert_int_equal (after.st_ino, before.st_ino);

    //  Room again: the same file, its digest still there
    assert_int_equal (rmdir (shm), 0);
    db = digestdb_open (path);
    assert_false (digestdb_rebuilt (db));
    assert_true (digestdb_lookup (db, &key, got));
    assert_memory_equal (got, sha, DIGEST_SIZE);
    digestdb_destroy (&db);
    zstr_free (&shm);
    zstr_free (&aside);
    zstr_free (&path);
    fixture_destroy (&fx);
}

//  The database's name held by something other than a file: a FIFO (once
//  the hasher's first read blocked the agent for ever), a symlink (never
//  followed: its target is not touched), a directory. Each is moved aside
//  and a fresh database made; readers open nothing there.
static void
test_not_a_file (void **state)
{
    (void) state;
    fixture_t *fx = fixture_new ("digestdb-notfile");
    char *path = fixture_path (fx, "digests.db");
    char *aside = zsys_sprintf ("%s.broken", path);
    char *target = fixture_path (fx, "target");
    s_sql (target, "CREATE TABLE t (x INTEGER);");
    struct stat before;
    assert_int_equal (stat (target, &before), 0);
    file_key_t key = { 9, 9, 9, 9, 9, 0, 0 };
    uint8_t sha [DIGEST_SIZE], got [DIGEST_SIZE];
    memset (sha, 0x21, sizeof sha);
    for (int how = 0; how < 3; how++) {
        if (how == 0)
            assert_int_equal (mkfifo (path, 0600), 0);
        else
        if (how == 1)
            assert_int_equal (symlink (target, path), 0);
        else
            assert_int_equal (mkdir (path, 0700), 0);
        assert_null (digestdb_open_reader (path));
        digestdb_t *db = digestdb_open (path);
        assert_non_null (db);
        assert_true (digestdb_rebuilt (db));
        digestdb_store (db, &key, sha);
        digestdb_destroy (&db);
        struct stat st;
        assert_int_equal (lstat (path, &st), 0);
        assert_true (S_ISREG (st.st_mode));
        assert_int_equal (lstat (aside, &st), 0);
        assert_int_equal (how == 0? S_ISFIFO (st.st_mode): how == 1? S_ISLNK (st.st_mode)
                                                       : S_ISDIR (st.st_mode), 1);
        //  The fresh one is a sound database, kept at the next open
        db = digestdb_open (path);
        assert_false (digestdb_rebuilt (db));
        assert_true (digestdb_lookup (db, &key, got));
        digestdb_destroy (&db);
        unlink (path);
        if (how == 2)
            rmdir (aside);
        else
            unlink (aside);
        char *extra = zsys_sprintf ("%s-wal", path);
        unlink (extra);
        zstr_free (&extra);
        extra = zsys_sprintf ("%s-shm", path);
        unlink (extra);
        zstr_free (&extra);
    }
    struct stat after;
    assert_int_equal (stat (target, &after), 0);
    assert_int_equal (after.st_size, before.st_size);
    assert_int_equal (after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    zstr_free (&target);
    zstr_free (&aside);
    zstr_free (&path);
    fixture_destroy (&fx);
}

//  A database of another user's in our state directory (an agent once run
//  with sudo): neither trusted nor written, moved aside, a fresh one made.
//  Only root can make one.
static void
test_other_users (void **state)
{
    (void) state;
    if (geteuid () != 0)
        skip ();
    fixture_t *fx = fixture_new ("digestdb-other-user");
    char *path = fixture_path (fx, "digests.db");
    char *aside = zsys_sprintf ("%s.broken", path);
    file_key_t key = { 9, 9, 9, 9, 9, 0, 0 };
    uint8_t sha [DIGEST_SIZE], got [DIGEST_SIZE];
    memset (sha, 0x33, sizeof sha);
    digestdb_t *db = digestdb_open (path);
    digestdb_store (db, &key, sha);
    digestdb_destroy (&db);
    assert_int_equal (chown (path, 12345, 12345), 0);
    db = digestdb_open (path);
    assert_non_null (db);
    assert_true (digestdb_rebuilt (db));
    assert_false (digestdb_lookup (db, &key, got));
    digestdb_destroy (&db);
    struct stat st;
    assert_int_equal (stat (aside, &st), 0);
    assert_int_equal (st.st_uid, 12345);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_uid, 0);
    zstr_free (&aside);
    zstr_free (&path);
    fixture_destroy (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_database),
        cmocka_unit_test (test_junk_rows),
        cmocka_unit_test (test_other_schema),
        cmocka_unit_test (test_not_a_file),
        cmocka_unit_test (test_other_users),
        cmocka_unit_test (test_memory),
        cmocka_unit_test (test_reader),
        cmocka_unit_test (test_forgets_unused_rows),
        cmocka_unit_test (test_first_schema_kept),
        cmocka_unit_test (test_unwritable_kept),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    //  cmocka's skip() passes in ctest's eyes: the run says it (77)
    if (rc == 0 && geteuid () != 0) {
        printf ("SKIP: test_other_users needs root (it chowns a database)\n");
        return 77;
    }
    return rc;
}
