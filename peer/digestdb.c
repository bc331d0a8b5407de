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
*/
#include "fshare.h"
#include "digestdb.h"
#include <sqlite3.h>

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

//  True when the file opened is a sound database of our schema.
static bool
s_healthy (digestdb_t *self)
{
    sqlite3_stmt *check = NULL;
    bool ok = sqlite3_prepare_v2 (self->db, "PRAGMA quick_check", -1, &check, NULL) == SQLITE_OK
           && sqlite3_step (check) == SQLITE_ROW
           && streq ((const char *) sqlite3_column_text (check, 0), "ok");
    sqlite3_finalize (check);
    if (!ok)
        return false;
    sqlite3_stmt *version = NULL;
    int found = -1;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &version, NULL) == SQLITE_OK
    &&  sqlite3_step (version) == SQLITE_ROW)
        found = sqlite3_column_int (version, 0);
    sqlite3_finalize (version);
    if (found == 0)         //  new: ours from now on
        return s_exec (self, "PRAGMA user_version = 2");
    if (found == 1)         //  before forgetting: its rows count as unused
        return s_exec (self, "ALTER TABLE digests ADD COLUMN seen INTEGER NOT NULL DEFAULT 0")
            && s_exec (self, "PRAGMA user_version = 2");
    return found == SCHEMA_VERSION;
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

static const char *s_select =
    "SELECT size, mtime_ns, ctime_ns, sha256, seen FROM digests WHERE dev = ? AND ino = ?";

static bool
s_try_open (digestdb_t *self)
{
    const char *path = self->path? self->path: ":memory:";
    if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                         | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        return false;
    sqlite3_busy_timeout (self->db, 1000);
    if (!s_healthy (self) || !s_exec (self, s_schema))
        return false;
    s_exec (self, "PRAGMA journal_mode = WAL");
    s_exec (self, "PRAGMA synchronous = NORMAL");
    return s_new_run (self)
        && sqlite3_prepare_v2 (self->db, s_select, -1, &self->select, NULL) == SQLITE_OK
        && sqlite3_prepare_v2 (self->db,
               "INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?, ?)",
               -1, &self->insert, NULL) == SQLITE_OK
        && sqlite3_prepare_v2 (self->db,
               "UPDATE digests SET seen = ? WHERE dev = ? AND ino = ?",
               -1, &self->touch, NULL) == SQLITE_OK;
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
    if (!s_try_open (self)) {
        //  Even a fresh file fails (read-only state dir?): memory only
        s_close (self);
        zsys_warning ("digest database %s cannot be created: keeping digests in memory",
                      self->path);
        zstr_free (&self->path);
        s_try_open (self);
    }
}

digestdb_t *
digestdb_open (const char *path)
{
    digestdb_t *self = (digestdb_t *) zmalloc (sizeof (digestdb_t));
    self->path = path? strdup (path): NULL;
    if (!s_try_open (self))
        s_rebuild (self, "is unreadable or corrupt");
    if (!self->db) {
        zstr_free (&self->path);
        free (self);
        return NULL;
    }
    return self;
}

digestdb_t *
digestdb_open_reader (const char *path)
{
    digestdb_t *self = (digestdb_t *) zmalloc (sizeof (digestdb_t));
    self->reader = true;
    //  The hasher commits in WAL mode: readers never wait for it
    if (!path || sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                                  NULL) != SQLITE_OK
    ||  sqlite3_prepare_v2 (self->db, s_select, -1, &self->select, NULL) != SQLITE_OK) {
        s_close (self);
        free (self);
        return NULL;
    }
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
    zstr_free (&self->path);
    free (self);
    *self_p = NULL;
}

//  A statement failed: a database that went bad under us is rebuilt.
static void
s_failed (digestdb_t *self, int rc)
{
    if (!self->reader && (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_IOERR))
        s_rebuild (self, "went bad");
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
        return false;
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
