/*  accounts.c - the broker's account file (SPEC 6). See accounts.h.

    The table keeps every line of the file in order (comments and blank
    lines too) so that fshare-passwd rewrites a file the way its owner laid
    it out; a hash maps each user name to its line. A load parses into a
    fresh table and swaps it in only when every line passed, so a broken
    file never replaces working accounts.
*/
#include "accounts.h"
#include <sodium.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/file.h>

//  Symlinks followed to the account file before giving up (the kernel's
//  own limit for a path is 40)
#define ACCOUNTS_LINKS_MAX  40

//  Longest line we accept: a user name, ':' and a crypto_pwhash_str string
//  fit in well under this; anything longer is not an account line.
#define ACCOUNTS_LINE_MAX   512
//  A file larger than this is not an account file (about 80,000 accounts).
#define ACCOUNTS_FILE_MAX   (16 * 1024 * 1024)

//  One line of the file: an account (user set, text = hash) or a comment
//  or blank line kept as written (user NULL, text = the line).
typedef struct {
    char *user;
    char *text;
} line_t;

//  What identifies one version of the file on disk.
typedef struct {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct timespec ctime;
} snapshot_t;

typedef struct {
    zlistx_t *lines;            //  line_t, in file order
    zhashx_t *users;            //  user name -> handle in lines
} table_t;

struct _accounts_t {
    char *path;
    table_t *table;
    snapshot_t seen;            //  the file as of the last load attempt
    int lock_fd;                //  the locked directory, or -1
    bool mode_warned;           //  warned that group/others can read it
};


//  --------------------------------------------------------------------------
//  Lines and tables

static void
s_line_destroy (line_t **self_p)
{
    if (*self_p) {
        line_t *self = *self_p;
        free (self->user);
        free (self->text);
        free (self);
        *self_p = NULL;
    }
}

static line_t *
s_line_new (const char *user, const char *text)
{
    line_t *self = (line_t *) zmalloc (sizeof (line_t));
    self->user = user? strdup (user): NULL;
    self->text = strdup (text);
    return self;
}

static table_t *
s_table_new (void)
{
    table_t *self = (table_t *) zmalloc (sizeof (table_t));
    self->lines = zlistx_new ();
    zlistx_set_destructor (self->lines, (zlistx_destructor_fn *) s_line_destroy);
    self->users = zhashx_new ();
    return self;
}

static void
s_table_destroy (table_t **self_p)
{
    if (*self_p) {
        table_t *self = *self_p;
        zhashx_destroy (&self->users);
        zlistx_destroy (&self->lines);
        free (self);
        *self_p = NULL;
    }
}

static line_t *
s_table_find (table_t *self, const char *user)
{
    void *handle = zhashx_lookup (self->users, user);
    return handle? (line_t *) zlistx_handle_item (handle): NULL;
}

//  Appends a line; a user line must not be in the table yet.
static void
s_table_append (table_t *self, const char *user, const char *text)
{
    void *handle = zlistx_add_end (self->lines, s_line_new (user, text));
    if (user)
        zhashx_insert (self->users, user, handle);
}


//  --------------------------------------------------------------------------
//  Parsing

//  Checks one line (NUL-free, without its newline) and adds it to table.
//  Returns NULL or a static reason; *detail is set for a bad user name.
static const char *
s_parse_line (table_t *table, const char *line, const char **detail)
{
    *detail = NULL;
    if (*line == 0 || *line == '#') {
        s_table_append (table, NULL, line);
        return NULL;
    }
    const char *colon = strchr (line, ':');
    if (!colon)
        return "missing ':' separator";
    char user [ACCOUNTS_LINE_MAX + 1];
    memcpy (user, line, colon - line);
    user [colon - line] = 0;
    *detail = fsh_user_check (user);
    if (*detail)
        return "bad user name";
    if (!passhash_valid (colon + 1))
        return "bad password hash (expected an argon2id crypto_pwhash_str string)";
    if (zhashx_lookup (table->users, user))
        return "duplicate user";
    s_table_append (table, user, colon + 1);
    return NULL;
}

//  Parses a whole file body. Returns a table, or NULL with *error set.
static table_t *
s_parse (const char *path, char *data, size_t size, char **error)
{
    table_t *table = s_table_new ();
    size_t line_no = 0;
    size_t start = 0;
    while (start < size) {
        line_no++;
        char *newline = (char *) memchr (data + start, '\n', size - start);
        size_t end = newline? (size_t) (newline - data): size;
        const char *reason = NULL;
        const char *detail = NULL;
        if (end - start > ACCOUNTS_LINE_MAX)
            reason = "line too long";
        else
        if (memchr (data + start, 0, end - start))
            reason = "NUL byte in line";
        else {
            data [end] = 0;
            reason = s_parse_line (table, data + start, &detail);
        }
        if (reason) {
            *error = detail? zsys_sprintf ("%s:%zu: %s: %s", path, line_no, reason, detail)
                           : zsys_sprintf ("%s:%zu: %s", path, line_no, reason);
            s_table_destroy (&table);
            return NULL;
        }
        start = end + 1;
    }
    return table;
}


//  --------------------------------------------------------------------------
//  Reading the file

static snapshot_t
s_snapshot_of (const struct stat *st)
{
    snapshot_t snapshot = {
        .exists = true, .dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
        .mtime = st->st_mtim, .ctime = st->st_ctim
    };
    return snapshot;
}

static bool
s_snapshot_equal (const snapshot_t *a, const snapshot_t *b)
{
    if (a->exists != b->exists)
        return false;
    if (!a->exists)
        return true;
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size
        && a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec
        && a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

//  Reads an open file whole, at most ACCOUNTS_FILE_MAX bytes. NULL (errno)
//  on failure; EFBIG when too large.
static char *
s_read_all (int fd, size_t *size_p)
{
    size_t size = 0;
    size_t capacity = 4096;
    char *data = (char *) malloc (capacity + 1);
    while (data) {
        if (size == capacity) {
            if (capacity >= ACCOUNTS_FILE_MAX) {
                //  At the limit: a file of exactly that size ends here
                char probe;
                ssize_t more = read (fd, &probe, 1);
                if (more < 0 && errno == EINTR)
                    continue;
                if (more == 0)
                    break;
                int saved = more < 0? errno: EFBIG;
                free (data);
                errno = saved;
                return NULL;
            }
            capacity *= 2;
            char *bigger = (char *) realloc (data, capacity + 1);
            if (!bigger) {
                free (data);
                errno = ENOMEM;
                return NULL;
            }
            data = bigger;
        }
        ssize_t got = read (fd, data + size, capacity - size);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int saved = errno;
            free (data);
            errno = saved;
            return NULL;
        }
        if (got == 0)
            break;
        size += (size_t) got;
    }
    if (data) {
        data [size] = 0;
        *size_p = size;
    }
    return data;
}

//  Opens, reads and parses the file. Sets self->seen to the version read
//  (before reading it, so a write during the read is seen as a change).
//  Returns the new table (empty when the file does not exist) or NULL.
static table_t *
s_load_table (accounts_t *self, char **error)
{
    //  O_NONBLOCK: a FIFO in its place must not hang the broker; it is then
    //  refused as not a regular file.
    int fd = open (self->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT) {
        self->seen = (snapshot_t) { .exists = false };
        return s_table_new ();
    }
    if (fd < 0) {
        *error = zsys_sprintf ("%s: cannot open: %s", self->path, strerror (errno));
        return NULL;
    }
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        *error = zsys_sprintf ("%s: not a regular file", self->path);
        close (fd);
        return NULL;
    }
    self->seen = s_snapshot_of (&st);
    size_t size = 0;
    char *data = s_read_all (fd, &size);
    int saved = errno;
    close (fd);
    if (!data) {
        *error = zsys_sprintf ("%s: cannot read: %s", self->path,
                               saved == EFBIG? "file too large": strerror (saved));
        return NULL;
    }
    table_t *table = s_parse (self->path, data, size, error);
    free (data);
    return table;
}


//  --------------------------------------------------------------------------
//  Public API

accounts_t *
accounts_new (const char *path)
{
    assert (path);
    accounts_t *self = (accounts_t *) zmalloc (sizeof (accounts_t));
    self->path = strdup (path);
    self->table = s_table_new ();
    self->lock_fd = -1;
    return self;
}

void
accounts_destroy (accounts_t **self_p)
{
    if (*self_p) {
        accounts_t *self = *self_p;
        accounts_unlock (self);
        s_table_destroy (&self->table);
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}

int
accounts_load (accounts_t *self, char **error)
{
    assert (self);
    char *reason = NULL;
    table_t *table = s_load_table (self, &reason);
    if (!table) {
        if (error)
            *error = reason;
        else
            zstr_free (&reason);
        return -1;
    }
    s_table_destroy (&self->table);
    self->table = table;
    return 0;
}

//  Warns once per lapse when group or others may access the file.
static void
s_check_mode (accounts_t *self, const struct stat *st)
{
    bool open_to_others = (st->st_mode & 077) != 0;
    if (open_to_others && !self->mode_warned)
        zsys_warning ("%s: mode %03o lets group or others access the accounts "
                      "(chmod 600 it)", self->path, (unsigned) (st->st_mode & 0777));
    self->mode_warned = open_to_others;
}

int
accounts_refresh (accounts_t *self)
{
    assert (self);
    struct stat st;
    snapshot_t now = { .exists = false };
    if (stat (self->path, &st) == 0) {
        now = s_snapshot_of (&st);
        s_check_mode (self, &st);
    }
    if (s_snapshot_equal (&now, &self->seen))
        return 0;
    if (!now.exists) {
        //  Editors replace files by rename; an empty table meanwhile would
        //  let anyone register a vanished name. Keep what we have.
        self->seen = now;
        zsys_warning ("%s: account file disappeared; keeping %zu accounts",
                      self->path, accounts_size (self));
        return -1;
    }
    char *error = NULL;
    if (accounts_load (self, &error)) {
        //  Do not retry (and log) until the file changes again.
        self->seen = now;
        zsys_error ("%s; keeping the %zu accounts loaded before", error,
                    accounts_size (self));
        zstr_free (&error);
        return -1;
    }
    return 1;
}

const char *
accounts_lookup (accounts_t *self, const char *user)
{
    assert (self);
    if (!user)
        return NULL;
    line_t *line = s_table_find (self->table, user);
    return line? line->text: NULL;
}

size_t
accounts_size (accounts_t *self)
{
    assert (self);
    return zhashx_size (self->table->users);
}

int
accounts_set (accounts_t *self, const char *user, const char *hash)
{
    assert (self);
    if (!user || fsh_user_check (user) || !passhash_valid (hash))
        return -1;
    line_t *line = s_table_find (self->table, user);
    if (line) {
        free (line->text);
        line->text = strdup (hash);
    }
    else
        s_table_append (self->table, user, hash);
    return 0;
}

int
accounts_delete (accounts_t *self, const char *user)
{
    assert (self);
    void *handle = user? zhashx_lookup (self->table->users, user): NULL;
    if (!handle)
        return -1;
    zhashx_delete (self->table->users, user);
    zlistx_delete (self->table->lines, handle);
    return 0;
}

const char *
accounts_path (accounts_t *self)
{
    assert (self);
    return self->path;
}


//  --------------------------------------------------------------------------
//  Saving

//  Creates dir and any missing parents, each new one mode 0700.
static int
s_make_dirs (const char *dir)
{
    struct stat st;
    if (stat (dir, &st) == 0)
        return S_ISDIR (st.st_mode)? 0: (errno = ENOTDIR, -1);
    if (errno != ENOENT)
        return -1;
    char *copy = strdup (dir);
    int rc = s_make_dirs (dirname (copy));
    free (copy);
    if (rc == 0 && mkdir (dir, 0700) != 0 && errno != EEXIST)
        rc = -1;
    return rc;
}

static int
s_write_all (int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t done = write (fd, data, size);
        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0)
            return -1;
        data += done;
        size -= (size_t) done;
    }
    return 0;
}

static int
s_write_table (int fd, table_t *table)
{
    for (line_t *line = (line_t *) zlistx_first (table->lines); line;
         line = (line_t *) zlistx_next (table->lines)) {
        char *text = line->user? zsys_sprintf ("%s:%s\n", line->user, line->text)
                               : zsys_sprintf ("%s\n", line->text);
        int rc = text? s_write_all (fd, text, strlen (text)): (errno = ENOMEM, -1);
        zstr_free (&text);
        if (rc)
            return -1;
    }
    return 0;
}

static int
s_sync_dir (const char *dir)
{
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    int saved = errno;
    close (fd);
    errno = saved;
    return rc;
}

//  The new file takes the old one's owner and permission bits, so that root
//  running fshare-passwd on the broker's file (owned by the fshare system
//  user, perhaps 0640) leaves the broker able to read it; only the bits for
//  others are dropped (the file holds password hashes). A new file is
//  ours, 0600. 0, or -1 (errno) when the owner cannot be kept.
static int
s_keep_owner_and_mode (int fd, const char *path)
{
    struct stat old;
    if (stat (path, &old) != 0)
        return fchmod (fd, 0600);
    if ((old.st_uid != geteuid () || old.st_gid != getegid ())
    &&  fchown (fd, old.st_uid, old.st_gid) != 0)
        return -1;
    return fchmod (fd, old.st_mode & 0770);
}

//  Writes the table to a new temp file beside the target; returns its name
//  or NULL (errno), never leaving a temp file behind on failure.
static char *
s_write_temp (table_t *table, const char *dir, const char *base, const char *path)
{
    char *temp = zsys_sprintf ("%s/.%s.XXXXXX", dir, base);
    int fd = mkstemp (temp);
    if (fd < 0) {
        int saved = errno;
        zstr_free (&temp);
        errno = saved;
        return NULL;
    }
    int rc = s_keep_owner_and_mode (fd, path) || s_write_table (fd, table) || fsync (fd)?
             -1: 0;
    int saved = errno;
    if (close (fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc) {
        unlink (temp);
        zstr_free (&temp);
        errno = saved;
    }
    return temp;
}

//  The name a write must replace: path, or the file its symlinks lead to
//  (a relative link read against the link's own directory), so that the
//  rename replaces the real file and not the link, as editors do. A
//  dangling link names the file to create. NULL (errno; ELOOP for a loop).
static char *
s_resolve (const char *path)
{
    char *name = strdup (path);
    for (int links = 0; name; links++) {
        struct stat st;
        int saved = lstat (name, &st) == 0? 0: errno;
        if (saved == ENOENT || (saved == 0 && !S_ISLNK (st.st_mode)))
            return name;
        char target [PATH_MAX];
        ssize_t size = saved || links == ACCOUNTS_LINKS_MAX? -1
                     : readlink (name, target, sizeof target - 1);
        if (size < 0) {
            saved = saved? saved: links == ACCOUNTS_LINKS_MAX? ELOOP: errno;
            free (name);
            errno = saved;
            return NULL;
        }
        target [size] = 0;
        char *copy = strdup (name);
        char *next = *target == '/'? strdup (target)
                                   : zsys_sprintf ("%s/%s", dirname (copy), target);
        free (copy);
        free (name);
        name = next;
    }
    errno = ENOMEM;
    return NULL;
}

int
accounts_save (accounts_t *self)
{
    assert (self);
    char *target = s_resolve (self->path);
    if (!target)
        return -1;
    //  dirname and basename may modify their argument: give each a copy.
    char *dir_copy = strdup (target);
    char *base_copy = strdup (target);
    const char *dir = dirname (dir_copy);
    const char *base = basename (base_copy);

    int rc = s_make_dirs (dir);
    char *temp = rc == 0? s_write_temp (self->table, dir, base, target): NULL;
    if (!temp)
        rc = -1;
    else
    if (rename (temp, target) != 0) {
        int saved = errno;
        unlink (temp);
        errno = saved;
        rc = -1;
    }
    int saved = errno;
    if (rc == 0) {
        //  Our own write is not news to accounts_refresh.
        struct stat st;
        if (stat (self->path, &st) == 0)
            self->seen = s_snapshot_of (&st);
        if (s_sync_dir (dir) != 0)
            zsys_warning ("%s: cannot sync directory: %s", dir, strerror (errno));
    }
    zstr_free (&temp);
    free (dir_copy);
    free (base_copy);
    free (target);
    errno = saved;
    return rc;
}


//  --------------------------------------------------------------------------
//  Locking

//  Opens (making it if missing) the directory the file's writes go to.
//  -1 (errno) on failure.
static int
s_open_dir (const char *path)
{
    char *target = s_resolve (path);
    if (!target)
        return -1;
    const char *dir = dirname (target);
    int fd = s_make_dirs (dir) == 0? open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC): -1;
    int saved = errno;
    free (target);
    errno = saved;
    return fd;
}

int
accounts_lock (accounts_t *self, int timeout_ms, char **error)
{
    assert (self);
    assert (self->lock_fd == -1);
    //  The directory, not the file: every save renames a new file over the
    //  old one, and a lock on the old inode would guard nothing after it
    int fd = s_open_dir (self->path);
    int64_t deadline = zclock_mono () + timeout_ms;
    bool timed_out = false;
    while (fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        timed_out = errno == EWOULDBLOCK && zclock_mono () >= deadline;
        if (errno != EWOULDBLOCK || timed_out) {
            int saved = errno;
            close (fd);
            fd = -1;
            errno = saved;
            break;
        }
        zclock_sleep (10);
    }
    if (fd >= 0) {
        self->lock_fd = fd;
        return 0;
    }
    //  Other than a lock held too long, what fails is what would have
    //  failed the write: making or opening the directory
    if (error)
        *error = timed_out
            ? zsys_sprintf ("cannot lock %s: another writer (fshare-passwd or the broker) "
                            "held it for over %d ms", self->path, timeout_ms)
            : zsys_sprintf ("cannot write %s: %s", self->path, strerror (errno));
    return -1;
}

void
accounts_unlock (accounts_t *self)
{
    assert (self);
    if (self->lock_fd >= 0) {
        close (self->lock_fd);      //  which releases the flock
        self->lock_fd = -1;
    }
}
