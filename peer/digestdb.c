/*  digestdb.c - the agent's digest database. See digestdb.h.

    One table, one row per inode. Writes go in transactions of up to
    BATCH rows, so that hashing a large tree costs one commit per batch,
    not one per file; WAL with synchronous=NORMAL, since a lost last batch
    only means hashing those files again.

    Forgetting: every open by the hasher is a new run (a generation kept
    in the meta table), and each row says in which run it was last used.
    The agent looks up every file it publishes at its start, so a row not
    used in the last KEEP_RUNS runs belongs to a file that is gone (deleted,
    moved out, ignored now): it is deleted at open. Counting runs, not
    days, keeps an agent that ran for months from losing its digests at
    its next restart. Without this the database would grow by one row for
    every inode ever hashed.

    A database that cannot be written now (its disk full, its directory
    read-only, locked by another program) is not a broken one: moving it
    aside would make the next start read every file again. It is left as
    it is and read without locks or a wal-index (SQLite's immutable mode:
    nobody writes it while our lock on the state directory is held), and
    this run's new digests go to a database in memory.
*/
#include "fshare.h"
#include "digestdb.h"
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#define BATCH 256
#define SCHEMA_VERSION 2
#define KEEP_RUNS 3

struct _digestdb_t {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *select;
    sqlite3_stmt *insert;
    sqlite3_stmt *touch;    //  a row used in this run
    int64_t run;            //  this run's generation (the hasher's)
    int pending;            //  rows stored in the open transaction
    bool rebuilt;
    bool reader;            //  a read-only connection: never rebuilt
    bool write_warned;      //  a failed write was logged
    digestdb_t *disk;       //  the file, read-only, when it cannot be written
};

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS digests ("
    "  dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL,"
    "  mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, sha256 BLOB NOT NULL,"
    "  seen INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (dev, ino)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);";

static void
s_close (digestdb_t *self)
{
    sqlite3_finalize (self->select);
    sqlite3_finalize (self->insert);
    sqlite3_finalize (self->touch);
    self->select = self->insert = self->touch = NULL;
    if (self->db)
        sqlite3_close (self->db);
    self->db = NULL;
    self->pending = 0;
}

static bool
s_exec (digestdb_t *self, const char *sql)
{
    return sqlite3_exec (self->db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

//  What SQLite says of the last call on the connection (its primary code)
static int
s_errcode (digestdb_t *self)
{
    int rc = self->db? sqlite3_errcode (self->db) & 0xff: SQLITE_CANTOPEN;
    return rc == SQLITE_OK? SQLITE_ERROR: rc;
}

//  SQLITE_OK when the file opened is a sound database of our schema;
//  SQLITE_CORRUPT when it is not; else why it could not be told.
static int
s_healthy (digestdb_t *self)
{
    sqlite3_stmt *check = NULL;
    int rc = SQLITE_OK;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA quick_check", -1, &check, NULL) != SQLITE_OK
    ||  sqlite3_step (check) != SQLITE_ROW)
        rc = s_errcode (self);
    else
    if (!streq ((const char *) sqlite3_column_text (check, 0), "ok"))
        rc = SQLITE_CORRUPT;
    sqlite3_finalize (check);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_stmt *version = NULL;
    int found = -1;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &version, NULL) == SQLITE_OK
    &&  sqlite3_step (version) == SQLITE_ROW)
        found = sqlite3_column_int (version, 0);
    else
        rc = s_errcode (self);
    sqlite3_finalize (version);
    if (rc != SQLITE_OK)
        return rc;
    if (found == 0)         //  new: ours from now on
        return s_exec (self, "PRAGMA user_version = 2")? SQLITE_OK: s_errcode (self);
    if (found == 1)         //  before forgetting: its rows count as unused
        return s_exec (self, "ALTER TABLE digests ADD COLUMN seen INTEGER NOT NULL DEFAULT 0")
            && s_exec (self, "PRAGMA user_version = 2")? SQLITE_OK: s_errcode (self);
    return found == SCHEMA_VERSION? SQLITE_OK: SQLITE_CORRUPT;
}

//  A new run: its generation, and the rows unused for KEEP_RUNS runs gone.
static bool
s_new_run (digestdb_t *self)
{
    sqlite3_stmt *get = NULL;
    int64_t last = 0;
    if (sqlite3_prepare_v2 (self->db, "SELECT value FROM meta WHERE key = 'run'", -1, &get,
                            NULL) != SQLITE_OK)
        return false;
    if (sqlite3_step (get) == SQLITE_ROW)
        last = sqlite3_column_int64 (get, 0);
    sqlite3_finalize (get);
    self->run = last + 1;
    char *sql = zsys_sprintf (
        "BEGIN;"
        "INSERT OR REPLACE INTO meta VALUES ('run', %" PRId64 ");"
        "DELETE FROM digests WHERE seen <= %" PRId64 ";"
        "COMMIT;", self->run, self->run - 1 - KEEP_RUNS);
    bool done = s_exec (self, sql);
    zstr_free (&sql);
    return done;
}

//  Something other than a regular file (or nothing) at path: a FIFO, a
//  device, a directory, a symlink. SQLite would follow the link, and its
//  first read of a FIFO would block the hasher (and the agent) for ever.
static bool
s_not_a_file (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0 && !S_ISREG (st.st_mode);
}

//  A file of another user's (an agent once run with sudo, a copy): not
//  ours to trust, whose digests we would publish as ours, nor to write.
static bool
s_not_ours (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0 && st.st_uid != geteuid ();
}

static const char *s_select =
    "SELECT size, mtime_ns, ctime_ns, sha256, seen FROM digests WHERE dev = ? AND ino = ?";

//  SQLITE_OK, or why the database at `path` could not be opened
static int
s_try_open (digestdb_t *self, const char *path)
{
    if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                         | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        return s_errcode (self);
    sqlite3_busy_timeout (self->db, 1000);
    int rc = s_healthy (self);
    if (rc != SQLITE_OK)
        return rc;
    if (!s_exec (self, s_schema))
        return s_errcode (self);
    s_exec (self, "PRAGMA journal_mode = WAL");
    s_exec (self, "PRAGMA synchronous = NORMAL");
    bool ready = s_new_run (self)
        && sqlite3_prepare_v2 (self->db, s_select, -1, &self->select, NULL) == SQLITE_OK
        && sqlite3_prepare_v2 (self->db,
               "INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?, ?)",
               -1, &self->insert, NULL) == SQLITE_OK
        && sqlite3_prepare_v2 (self->db,
               "UPDATE digests SET seen = ? WHERE dev = ? AND ino = ?",
               -1, &self->touch, NULL) == SQLITE_OK;
    return ready? SQLITE_OK: s_errcode (self);
}

//  True for a failure that says nothing against the file: it could not
//  be written or locked now (a full disk, a read-only or busy one).
static bool
s_cannot_write (int rc)
{
    return rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_READONLY
        || rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_CANTOPEN
        || rc == SQLITE_PERM || rc == SQLITE_NOMEM || rc == SQLITE_PROTOCOL;
}

static digestdb_t *s_open_immutable (const char *path);

//  The file cannot be written: read it as it is, store in memory.
static void
s_keep_read_only (digestdb_t *self, int rc)
{
    s_close (self);
    self->disk = s_open_immutable (self->path);
    zsys_warning ("digest database %s cannot be written (%s): %s; this run's new "
                  "digests are kept in memory", self->path, sqlite3_errstr (rc),
                  self->disk? "using what it holds, left as it is"
                            : "it cannot be read either, left as it is");
    zstr_free (&self->path);
    if (s_try_open (self, ":memory:") != SQLITE_OK)
        s_close (self);
}

//  Move a broken database aside (kept once, for a post-mortem) and start
//  an empty one.
static void
s_rebuild (digestdb_t *self, const char *why)
{
    s_close (self);
    self->rebuilt = true;
    if (!self->path)
        return;
    zsys_warning ("digest database %s %s: rebuilding it (files will be hashed again)",
                  self->path, why);
    char *aside = zsys_sprintf ("%s.broken", self->path);
    rename (self->path, aside);
    zstr_free (&aside);
    const char *suffixes [] = { "-wal", "-shm" };
    for (int i = 0; i < 2; i++) {
        char *extra = zsys_sprintf ("%s%s", self->path, suffixes [i]);
        unlink (extra);
        zstr_free (&extra);
    }
    if (s_not_a_file (self->path) || s_try_open (self, self->path) != SQLITE_OK) {
        //  Even a fresh file fails (read-only state dir?): memory only
        s_close (self);
        zsys_warning ("digest database %s cannot be created: keeping digests in memory",
                      self->path);
        zstr_free (&self->path);
        if (s_try_open (self, ":memory:") != SQLITE_OK)
            s_close (self);
    }
}

digestdb_t *
digestdb_open (const char *path)
{
    digestdb_t *self = (digestdb_t *) zmalloc (sizeof (digestdb_t));
    self->path = path? strdup (path): NULL;
    if (path && s_not_a_file (path))
        s_rebuild (self, "is not a regular file");
    else
    if (path && s_not_ours (path))
        s_rebuild (self, "belongs to another user");
    else {
        int rc = s_try_open (self, path? path: ":memory:");
        if (rc != SQLITE_OK && path && s_cannot_write (rc))
            s_keep_read_only (self, rc);
        else
        if (rc != SQLITE_OK)
            s_rebuild (self, "is unreadable or corrupt");
    }
    if (!self->db) {
        zstr_free (&self->path);
        free (self);
        return NULL;
    }
    return self;
}

//  A read-only connection to `name` (a path, or a URI with `flags`)
static digestdb_t *
s_open_reader (const char *name, int flags)
{
    digestdb_t *self = (digestdb_t *) zmalloc (sizeof (digestdb_t));
    self->reader = true;
    if (!name || sqlite3_open_v2 (name, &self->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
                                  | flags, NULL) != SQLITE_OK
    ||  sqlite3_prepare_v2 (self->db, s_select, -1, &self->select, NULL) != SQLITE_OK) {
        s_close (self);
        free (self);
        return NULL;
    }
    return self;
}

digestdb_t *
digestdb_open_reader (const char *path)
{
    //  The hasher commits in WAL mode: readers never wait for it
    return path && s_not_a_file (path)? NULL: s_open_reader (path, 0);
}

//  The file at `path` read as it is: no locks, no wal-index (which a full
//  disk cannot hold), no look at a write-ahead log. Only for a file nobody
//  writes; what a crash left in its log is simply not known.
static digestdb_t *
s_open_immutable (const char *path)
{
    if (s_not_a_file (path))
        return NULL;
    //  A URI: the path's bytes other than [A-Za-z0-9/._~-] as %XX
    char *uri = (char *) zmalloc (strlen (path) * 3 + 32);
    char *end = stpcpy (uri, "file:");
    for (const unsigned char *at = (const unsigned char *) path; *at; at++) {
        if (isalnum (*at) || strchr ("/._~-", *at))
            *end++ = (char) *at;
        else
            end += sprintf (end, "%%%02X", *at);
    }
    strcpy (end, "?immutable=1");
    digestdb_t *self = s_open_reader (uri, SQLITE_OPEN_URI);
    free (uri);
    return self;
}

void
digestdb_destroy (digestdb_t **self_p)
{
    digestdb_t *self = *self_p;
    if (!self)
        return;
    digestdb_flush (self);
    s_close (self);
    digestdb_destroy (&self->disk);
    zstr_free (&self->path);
    free (self);
    *self_p = NULL;
}

//  A statement failed: a database that went bad under us is rebuilt; one
//  that cannot be written now (a full disk) loses the batch (those files
//  are hashed again after a restart), which is logged once.
static void
s_failed (digestdb_t *self, int rc)
{
    if (self->reader)
        return;
    rc &= 0xff;
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) {
        s_rebuild (self, "went bad");
        return;
    }
    s_exec (self, "ROLLBACK");      //  fails harmlessly when SQLite did it
    self->pending = 0;
    if (!self->write_warned)
        zsys_warning ("digest database %s: cannot store digests (%s): they will be "
                      "computed again after a restart", self->path? self->path: "in memory",
                      sqlite3_errstr (rc));
    self->write_warned = true;
}

//  Opens the batch's transaction if none is open.
static void
s_begin (digestdb_t *self)
{
    if (self->pending == 0)
        s_exec (self, "BEGIN");
}

//  A row was used in this run: kept (batched with the stores).
static void
s_touch (digestdb_t *self, const file_key_t *key)
{
    s_begin (self);
    sqlite3_reset (self->touch);
    sqlite3_bind_int64 (self->touch, 1, self->run);
    sqlite3_bind_int64 (self->touch, 2, (sqlite3_int64) key->dev);
    sqlite3_bind_int64 (self->touch, 3, (sqlite3_int64) key->ino);
    int rc = sqlite3_step (self->touch);
    sqlite3_reset (self->touch);
    if (rc != SQLITE_DONE) {
        s_failed (self, rc);
        return;
    }
    if (++self->pending >= BATCH)
        digestdb_flush (self);
}

bool
digestdb_lookup (digestdb_t *self, const file_key_t *key, uint8_t out [DIGEST_SIZE])
{
    if (!self->select)
        return false;
    sqlite3_reset (self->select);
    sqlite3_bind_int64 (self->select, 1, (sqlite3_int64) key->dev);
    sqlite3_bind_int64 (self->select, 2, (sqlite3_int64) key->ino);
    int rc = sqlite3_step (self->select);
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE)
            s_failed (self, rc);
        sqlite3_reset (self->select);
        return self->disk && digestdb_lookup (self->disk, key, out);
    }
    bool same = (uint64_t) sqlite3_column_int64 (self->select, 0) == key->size
             && sqlite3_column_int64 (self->select, 1) == key->mtime_ns
             && sqlite3_column_int64 (self->select, 2) == key->ctime_ns
             && sqlite3_column_bytes (self->select, 3) == DIGEST_SIZE;
    bool stale = sqlite3_column_int64 (self->select, 4) < self->run;
    if (same)
        memcpy (out, sqlite3_column_blob (self->select, 3), DIGEST_SIZE);
    sqlite3_reset (self->select);
    if (same && stale && self->touch)
        s_touch (self, key);
    return same;
}

void
digestdb_store (digestdb_t *self, const file_key_t *key, const uint8_t sha [DIGEST_SIZE])
{
    if (!self->insert)
        return;
    s_begin (self);
    sqlite3_reset (self->insert);
    sqlite3_bind_int64 (self->insert, 1, (sqlite3_int64) key->dev);
    sqlite3_bind_int64 (self->insert, 2, (sqlite3_int64) key->ino);
    sqlite3_bind_int64 (self->insert, 3, (sqlite3_int64) key->size);
    sqlite3_bind_int64 (self->insert, 4, key->mtime_ns);
    sqlite3_bind_int64 (self->insert, 5, key->ctime_ns);
    sqlite3_bind_blob (self->insert, 6, sha, DIGEST_SIZE, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (self->insert, 7, self->run);
    int rc = sqlite3_step (self->insert);
    sqlite3_reset (self->insert);
    if (rc != SQLITE_DONE) {
        s_failed (self, rc);
        return;
    }
    if (++self->pending >= BATCH)
        digestdb_flush (self);
}

void
digestdb_flush (digestdb_t *self)
{
    if (self->pending == 0 || !self->db)
        return;
    int rc = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
    self->pending = 0;
    if (rc != SQLITE_OK)
        s_failed (self, rc);
}

bool
digestdb_rebuilt (digestdb_t *self)
{
    return self->rebuilt;
}

int64_t
digestdb_run (digestdb_t *self)
{
    return self->run;
}
