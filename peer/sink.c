/*  sink.c - the requester's side of one download. See sink.h. */
#include "sink.h"
#include "partrecord.h"
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define PART_SUFFIX     ".fshare-part"
#define NAME_TRIES      10000   //  name_1 ... before giving up
//  Writeback is started every this many bytes: the fsync before the
//  rename then waits for the last stretch, not for the whole file, and the
//  kernel does not hold back the writer while it flushes a backlog
//  (fshare-bench relay --dir on this VM's disk: 0.31 -> 0.50 GB/s)
#define FLUSH_BYTES     (8 * 1024 * 1024)
//  What lies further back than this is waited for (its writeback started
//  long ago) and dropped from the page cache: a download holds at most
//  this much of the cache, does not push out the machine's working set,
//  and writes into pages just freed instead of fresh ones, which on a
//  virtual machine cost a host fault each (relay --dir: 0.36 -> 1.1 GB/s,
//  the requester's CPU 3.0 -> 0.95 s/GiB)
#define KEEP_BYTES      (4 * FLUSH_BYTES)

struct _sink_t {
    fsh_err_t code;             //  of the last error (sink_code)
    int dir_fd;
    char *dir;
    dev_t dir_dev;              //  what dir was when opened (s_dir_check)
    ino_t dir_ino;
    bool dir_gone;              //  it was moved or removed since
    uint64_t dir_checked;       //  written when last checked
    char *name;                 //  the name wanted
    char *part;                 //  partial file's name in dir
    char *part_path;            //  for messages
    int fd;
    char *owner;
    char *path;
    bool has_sha256;            //  the content asked for is known
    uint8_t sha256 [DIGEST_SIZE];
    bool by_digest;             //  the partial file was found by its digest
    uint64_t offset;            //  resume offer
    uint64_t expect_size;
    int64_t expect_mtime;
    uint64_t size;
    int64_t mtime;
    uint32_t mode;              //  the owner's permission bits
    uint64_t written;           //  bytes in the partial file
    uint64_t hashed;            //  of those, hashed (prefix on a resume)
    uint64_t flushed;           //  writeback started up to here
    uint64_t dropped;           //  written back and out of the cache up to here
    bool started;
    bool resumed;
    bool restarted;
    bool lost;                  //  the writeback failed: the disk's copy is unknown
    bool no_behind;             //  no flushing or dropping behind for this file
    bool meta_stored;           //  resumable if interrupted
    bool closed;                //  finished or aborted
    digest_t *digest;
    char *saved;
    uint8_t final [DIGEST_SIZE];
    char hex [DIGEST_HEX_SIZE];
};

//  --------------------------------------------------------------------------
//  Names

//  Length of `text` cut to at most `max` bytes at a UTF-8 boundary.
static size_t
s_utf8_cut (const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char) text [max] & 0xC0) == 0x80)
        max--;
    return max;
}

//  prefix + stem [+ "_N"] + ext + tail, the stem shortened so the whole
//  fits a file name. The extension starts at the last '.' that is neither
//  first nor last: "a.tar.gz" -> "a.tar" ".gz", ".bashrc" has none.
static char *
s_compose (const char *name, unsigned number, const char *prefix, const char *tail)
{
    const char *dot = strrchr (name, '.');
    if (dot == name || (dot && dot [1] == 0))
        dot = NULL;
    size_t stem_len = dot? (size_t) (dot - name): strlen (name);
    const char *ext = dot? dot: "";
    char suffix [16] = "";
    if (number)
        snprintf (suffix, sizeof suffix, "_%u", number);
    size_t fixed = strlen (prefix) + strlen (suffix) + strlen (ext) + strlen (tail);
    size_t room = fixed < FSH_NAME_MAX? FSH_NAME_MAX - fixed: 1;
    stem_len = s_utf8_cut (name, stem_len, room);
    return zsys_sprintf ("%s%.*s%s%s%s", prefix, (int) stem_len, name, suffix, ext, tail);
}

static bool
s_name_valid (const char *name)
{
    return name && *name && strlen (name) <= FSH_NAME_MAX && !strchr (name, '/')
        && !streq (name, ".") && !streq (name, "..") && fsh_text_valid (name, FSH_NAME_MAX)
        && !fsh_path_is_partial (name);     //  the name partial files take
}

//  The partial file's record (partrecord.h): the download is resumable
//  once it is there.
static int
s_record_write (sink_t *self)
{
    partrecord_t record = { .size = self->size, .mtime = self->mtime,
                            .has_sha256 = self->has_sha256 };
    snprintf (record.owner, sizeof record.owner, "%s", self->owner);
    snprintf (record.path, sizeof record.path, "%s", self->path);
    memcpy (record.sha256, self->sha256, DIGEST_SIZE);
    int rc = partrecord_write (self->fd, &record);
    if (rc == -1)
        zsys_warning ("sink: %s: cannot record its source (%s): it will not be resumable",
                      self->part_path, strerror (errno));
    return rc;
}

//  The code of a failed write or create: full is full, the rest is the
//  directory's fault.
static fsh_err_t
s_errno_code (int error, fsh_err_t otherwise)
{
    return error == ENOSPC || error == EDQUOT || error == EFBIG? FSH_ERR_DISK_FULL: otherwise;
}

//  --------------------------------------------------------------------------
//  Choosing the partial file

//  Open candidate part name; 1 when taken (self->fd set), 0 when it is
//  another's (try the next name), -1 when nothing can be written here.
static int
s_try_part (sink_t *self, const char *part, char **error)
{
    //  A device or a FIFO is not even opened: an open can have effects
    struct stat there;
    if (fstatat (self->dir_fd, part, &there, AT_SYMLINK_NOFOLLOW) == 0
    &&  !S_ISREG (there.st_mode))
        return 0;
    int fd = openat (self->dir_fd, part,
                     O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0666);
    if (fd == -1) {
        if (errno == ELOOP || errno == EISDIR || errno == ENXIO || errno == ETXTBSY)
            return 0;           //  something else sits there: not ours
        self->code = s_errno_code (errno, FSH_ERR_NOT_WRITABLE);
        *error = zsys_sprintf ("downloads directory not writable: %s: %s",
                               self->dir, strerror (errno));
        return -1;
    }
    //  A file of more than one name (a hard link to one elsewhere, even
    //  an empty one) would be written through: never ours
    struct stat st;
    if (fstat (fd, &st) == -1 || !S_ISREG (st.st_mode) || st.st_nlink != 1
    ||  flock (fd, LOCK_EX | LOCK_NB) == -1) {
        close (fd);             //  not a file, or another download's
        return 0;
    }
    partrecord_t meta;
    bool known = partrecord_read (fd, &meta) == 0;
    //  The same source, or the same content from whichever owner
    bool same = known && streq (meta.owner, self->owner) && streq (meta.path, self->path);
    bool same_content = known && self->has_sha256 && meta.has_sha256
                     && memcmp (meta.sha256, self->sha256, DIGEST_SIZE) == 0;
    //  The same file but known to hold other content now (rewritten with
    //  its size and mtime kept, SPEC 4.5): its prefix is of no use, and a
    //  resume would only fail as corrupted at the end
    bool other_content = known && self->has_sha256 && meta.has_sha256 && !same_content;
    if (same_content && !same)
        self->by_digest = true;
    same = same || same_content;
    if (st.st_size > 0 && !same) {
        close (fd);             //  the partial file of another download
        return 0;
    }
    self->fd = fd;
    if (same && st.st_size > 0) {
        if ((uint64_t) st.st_size <= meta.size && !other_content) {
            self->offset = (uint64_t) st.st_size;
            self->expect_size = meta.size;
            self->expect_mtime = meta.mtime;
        }
        else
            self->restarted = true;     //  longer than its file, or other content: useless
    }
    return 1;
}

static int
s_choose_part (sink_t *self, char **error)
{
    for (unsigned number = 0; number < NAME_TRIES; number++) {
        char *part = s_compose (self->name, number, ".", PART_SUFFIX);
        int rc = s_try_part (self, part, error);
        if (rc == 1) {
            self->part = part;
            self->part_path = zsys_sprintf ("%s/%s", self->dir, part);
            return 0;
        }
        zstr_free (&part);
        if (rc == -1)
            return -1;
    }
    self->code = FSH_ERR_NOT_WRITABLE;
    *error = zsys_sprintf ("no free name for a partial file of '%s' in %s", self->name, self->dir);
    return -1;
}

sink_t *
sink_new (const char *dir, const char *name, const char *owner, const char *path,
          const uint8_t *sha256, fsh_err_t *code, char **error)
{
    *error = NULL;
    *code = FSH_ERR_NONE;
    if (!s_name_valid (name)) {
        *code = FSH_ERR_BAD_REQUEST;
        *error = strdup ("invalid file name");
        return NULL;
    }
    int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd == -1) {
        *code = FSH_ERR_NOT_WRITABLE;
        *error = zsys_sprintf ("downloads directory not writable: %s: %s", dir, strerror (errno));
        return NULL;
    }
    sink_t *self = (sink_t *) zmalloc (sizeof (sink_t));
    self->dir_fd = dir_fd;
    struct stat st;
    if (fstat (dir_fd, &st) == 0) {
        self->dir_dev = st.st_dev;
        self->dir_ino = st.st_ino;
    }
    self->fd = -1;
    self->dir = strdup (dir);
    self->name = strdup (name);
    self->owner = strdup (owner);
    self->path = strdup (path);
    if (sha256) {
        self->has_sha256 = true;
        memcpy (self->sha256, sha256, DIGEST_SIZE);
    }
    self->digest = digest_new ();
    if (s_choose_part (self, error)) {
        *code = self->code;
        self->closed = true;
        sink_destroy (&self);
        return NULL;
    }
    return self;
}

void
sink_destroy (sink_t **self_p)
{
    if (*self_p) {
        sink_t *self = *self_p;
        if (!self->closed && self->fd != -1)
            sink_abort (self, true);
        if (self->fd != -1)
            close (self->fd);
        close (self->dir_fd);
        digest_destroy (&self->digest);
        free (self->dir);
        free (self->name);
        free (self->part);
        free (self->part_path);
        free (self->owner);
        free (self->path);
        free (self->saved);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Accessors

uint64_t sink_offset (sink_t *self)       { return self->offset; }
uint64_t sink_expect_size (sink_t *self)  { return self->expect_size; }
int64_t sink_expect_mtime (sink_t *self)  { return self->expect_mtime; }
uint64_t sink_size (sink_t *self)         { return self->size; }
int64_t sink_mtime (sink_t *self)         { return self->mtime; }
bool sink_started (sink_t *self)          { return self->started; }
uint64_t sink_written (sink_t *self)      { return self->written; }
bool sink_resumed (sink_t *self)          { return self->resumed; }
bool sink_restarted (sink_t *self)        { return self->restarted; }
const char *sink_saved (sink_t *self)     { return self->saved; }
const char *sink_sha256 (sink_t *self)    { return self->saved? self->hex: NULL; }
const char *sink_part (sink_t *self)      { return self->part_path; }
bool sink_by_digest (sink_t *self)        { return self->by_digest; }

int
sink_digest (sink_t *self, uint8_t out [DIGEST_SIZE])
{
    if (!self->saved)
        return -1;
    memcpy (out, self->final, DIGEST_SIZE);
    return 0;
}
void sink_set_mode (sink_t *self, uint32_t mode) { self->mode = mode & 0777; }

//  --------------------------------------------------------------------------
//  Writing

//  A write error in the words of SPEC 4.3.
static char *
s_write_error (sink_t *self, int error)
{
    self->code = s_errno_code (error, FSH_ERR_NOT_WRITABLE);
    switch (error) {
        case ENOSPC:
        case EDQUOT:
            return zsys_sprintf ("disk full: cannot write %s", self->part_path);
        case EFBIG:
            return zsys_sprintf ("file size limit exceeded (ulimit -f) writing %s",
                                 self->part_path);
        default:
            return zsys_sprintf ("cannot write %s: %s", self->part_path, strerror (error));
    }
}

int
sink_start (sink_t *self, uint64_t size, int64_t mtime, uint64_t offset, char **error)
{
    *error = NULL;
    if (self->started || (offset && (offset != self->offset || size != self->expect_size
                                     || mtime != self->expect_mtime))) {
        self->code = FSH_ERR_PROTOCOL_ERROR;
        *error = strdup ("protocol error: the owner resumed where we did not ask");
        return -1;
    }
    self->started = true;
    self->size = size;
    self->mtime = mtime;
    if (offset) {
        self->resumed = true;
        self->written = self->flushed = self->dropped = offset;
    }
    else {
        if (self->offset)
            self->restarted = true;
        //  Nothing of what was there counts (after a switch, some was hashed)
        digest_reset (self->digest);
        self->written = self->hashed = self->flushed = self->dropped = 0;
        if (ftruncate (self->fd, 0) == -1) {
            *error = s_write_error (self, errno);
            return -1;
        }
    }
    //  A limit that the file cannot fit under fails now, not after a
    //  transfer up to the limit.
    struct rlimit limit;
    if (getrlimit (RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
    &&  size > (uint64_t) limit.rlim_cur) {
        *error = s_write_error (self, EFBIG);
        return -1;
    }
    self->meta_stored = s_record_write (self) == 0;
    return 0;
}

int
sink_prepare (sink_t *self, void *buf, size_t buf_size, size_t budget, char **error)
{
    *error = NULL;
    while (self->hashed < self->written && budget > 0) {
        uint64_t left = self->written - self->hashed;
        size_t size = left < buf_size? (size_t) left: buf_size;
        ssize_t got = pread (self->fd, buf, size, (off_t) self->hashed);
        if (got <= 0) {
            if (got == -1 && errno == EINTR)
                continue;
            self->code = FSH_ERR_NOT_WRITABLE;
            *error = got == 0? zsys_sprintf ("%s was truncated meanwhile", self->part_path)
                             : zsys_sprintf ("cannot read %s: %s", self->part_path,
                                             strerror (errno));
            return -1;
        }
        digest_update (self->digest, buf, (size_t) got);
        self->hashed += (uint64_t) got;
        budget = budget > (size_t) got? budget - (size_t) got: 0;
    }
    return self->hashed == self->written? 1: 0;
}

//  sync_file_range, where an error other than the call's absence (a
//  file system or a sandbox without it: advice only, not an error) is a
//  write error: the waiting call takes it from the file, so the fsync
//  before the rename would not report it again. ENOMEM is memory
//  pressure, not the disk losing data: the pages it could not start stay
//  dirty, so the final fsync writes them and reports a real write error
//  then. Either way the drop-behind ends for this file (no_behind).
static int
s_sync_range (sink_t *self, uint64_t from, uint64_t length, unsigned int flags,
              char **error)
{
    if (sync_file_range (self->fd, (off_t) from, (off_t) length, flags) == 0)
        return 0;
    if (errno == ENOSYS || errno == EINVAL || errno == ESPIPE || errno == EOPNOTSUPP
    ||  errno == ENOMEM) {
        self->no_behind = true;
        return 0;
    }
    //  Pages the disk failed to take may read back fine from the cache
    //  for a while: no resume may trust that partial file
    self->lost = true;
    *error = s_write_error (self, errno);
    return -1;
}

//  Start the disk writing what the last stretch put in the page cache
//  (without waiting for it: the network and the disk then work at once),
//  and drop what lies more than KEEP_BYTES behind once it is on the disk.
static int
s_flush_behind (sink_t *self, char **error)
{
    if (self->no_behind || self->written < self->flushed + FLUSH_BYTES)
        return 0;
    uint64_t from = self->flushed, length = self->written - self->flushed;
    if (s_sync_range (self, from, length, SYNC_FILE_RANGE_WRITE, error))
        return -1;
    self->flushed = self->written;
    if (self->no_behind || self->flushed < self->dropped + KEEP_BYTES + FLUSH_BYTES)
        return 0;
    from = self->dropped;
    length = self->flushed - KEEP_BYTES - from;
    if (s_sync_range (self, from, length, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE
                                          | SYNC_FILE_RANGE_WAIT_AFTER, error))
        return -1;              //  and its pages stay: they hold what the disk lost
    //  Not known to be on the disk: those pages must stay until the fsync
    if (self->no_behind)
        return 0;
    //  Advice only: where there is none (tmpfs), the pages simply stay
    posix_fadvise (self->fd, (off_t) from, (off_t) length, POSIX_FADV_DONTNEED);
    self->dropped = from + length;
    return 0;
}

//  The partial file's name still names the file written, and only it: a
//  name swapped meanwhile for a symlink, a FIFO, a hard link or another
//  file would take the rename, and put what it is under the final name.
//  Not removed then: what sits there is not ours.
static int
s_part_check (sink_t *self, char **error)
{
    struct stat mine, there;
    if (fstat (self->fd, &mine) == 0
    &&  fstatat (self->dir_fd, self->part, &there, AT_SYMLINK_NOFOLLOW) == 0
    &&  S_ISREG (there.st_mode) && there.st_nlink == 1
    &&  there.st_dev == mine.st_dev && there.st_ino == mine.st_ino)
        return 0;
    self->code = FSH_ERR_NOT_WRITABLE;
    *error = zsys_sprintf ("partial file replaced or linked during the transfer: %s",
                           self->part_path);
    return -1;
}

//  The directory written into is still the one its path names. Every
//  write goes through the descriptor opened at the start: a directory
//  renamed meanwhile would receive the file while `get` named the old
//  path, and one removed would take a whole transfer to a file nobody
//  can reach, for a rename that fails at the end.
static int
s_dir_check (sink_t *self, char **error)
{
    struct stat here, there;
    if (fstat (self->dir_fd, &here) == 0 && here.st_nlink > 0
    &&  stat (self->dir, &there) == 0 && S_ISDIR (there.st_mode)
    &&  there.st_dev == self->dir_dev && there.st_ino == self->dir_ino)
        return 0;
    self->dir_gone = true;
    self->code = FSH_ERR_NOT_WRITABLE;
    *error = zsys_sprintf ("downloads directory moved or removed during the transfer: %s",
                           self->dir);
    return -1;
}

int
sink_write (sink_t *self, uint64_t offset, const void *data, size_t size, char **error)
{
    *error = NULL;
    if (!self->started || self->hashed != self->written || offset != self->written
    ||  size > self->size - self->written) {
        self->code = FSH_ERR_PROTOCOL_ERROR;
        *error = strdup ("protocol error: a chunk out of place");
        return -1;
    }
    const char *bytes = (const char *) data;
    size_t done = 0;
    while (done < size) {
        ssize_t put = pwrite (self->fd, bytes + done, size - done, (off_t) self->written);
        if (put > 0) {
            //  Hash what is on disk, so a failure leaves a valid prefix
            digest_update (self->digest, bytes + done, (size_t) put);
            self->written += (uint64_t) put;
            self->hashed = self->written;
            done += (size_t) put;
        }
        else
        if (errno != EINTR) {
            *error = s_write_error (self, put == 0? EIO: errno);
            return -1;
        }
    }
    //  A look at the directory per stretch: cheap, and soon enough
    if (self->written >= self->dir_checked + FLUSH_BYTES) {
        self->dir_checked = self->written;
        if (s_dir_check (self, error))
            return -1;
    }
    return s_flush_behind (self, error);
}

static void
s_remove_part (sink_t *self)
{
    if (unlinkat (self->dir_fd, self->part, 0) == -1 && errno != ENOENT)
        zsys_warning ("sink: cannot remove %s: %s", self->part_path, strerror (errno));
}

//  Move the partial file to the first free final name. Never replaces a
//  file: RENAME_NOREPLACE, or a hard link (which fails on an existing
//  name) where the file system lacks it.
static int
s_publish (sink_t *self, char **error)
{
    for (unsigned number = 0; number < NAME_TRIES; number++) {
        char *name = s_compose (self->name, number, "", "");
        int rc = renameat2 (self->dir_fd, self->part, self->dir_fd, name, RENAME_NOREPLACE);
        if (rc == -1 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
            rc = linkat (self->dir_fd, self->part, self->dir_fd, name, 0);
            if (rc == 0)
                s_remove_part (self);
        }
        if (rc == 0) {
            self->saved = zsys_sprintf ("%s/%s", self->dir, name);
            zstr_free (&name);
            fsync (self->dir_fd);
            return 0;
        }
        int saved = errno;
        zstr_free (&name);
        if (saved != EEXIST) {
            self->code = s_errno_code (saved, FSH_ERR_NOT_WRITABLE);
            *error = zsys_sprintf ("cannot save in %s: %s", self->dir, strerror (saved));
            return -1;
        }
    }
    self->code = FSH_ERR_NOT_WRITABLE;
    *error = zsys_sprintf ("no free name for '%s' in %s", self->name, self->dir);
    return -1;
}

//  Saved as the owner had it: its mtime, and its executable bits where
//  ours allow reading (the umask stays in force). Never set-id bits, never
//  an owner: those are not ours to copy.
static void
s_apply_attributes (sink_t *self)
{
    struct timespec times [2] = { { 0, UTIME_NOW }, { (time_t) self->mtime, 0 } };
    if (futimens (self->fd, times) == -1)
        zsys_warning ("sink: %s: cannot set its mtime: %s", self->part_path, strerror (errno));
    struct stat st;
    if ((self->mode & 0111) == 0 || fstat (self->fd, &st) == -1)
        return;
    mode_t mode = st.st_mode & 0777;
    mode |= (mode_t) (self->mode & 0111) & (mode >> 2) & 0111;
    if (fchmod (self->fd, mode) == -1)
        zsys_warning ("sink: %s: cannot set its mode: %s", self->part_path, strerror (errno));
}

int
sink_finish (sink_t *self, const uint8_t *sha256, size_t sha256_size, char **error)
{
    *error = NULL;
    if (!self->started || self->closed || self->written != self->size
    ||  self->hashed != self->written) {
        self->code = FSH_ERR_PROTOCOL_ERROR;
        *error = strdup ("protocol error: the transfer ended early");
        return -1;
    }
    self->closed = true;
    //  A malformed digest is the sender breaking the protocol, not our
    //  bytes going bad: no "corrupted" (which re-fetches, and makes the
    //  owner re-hash) for it
    if (sha256_size != DIGEST_SIZE) {
        self->code = FSH_ERR_PROTOCOL_ERROR;
        *error = strdup ("protocol error: the last chunk's digest is not 32 bytes");
        s_remove_part (self);
        return -1;
    }
    uint8_t mine [DIGEST_SIZE];
    digest_final (self->digest, mine);
    if (memcmp (mine, sha256, DIGEST_SIZE) != 0) {
        self->code = FSH_ERR_CORRUPTED;
        *error = strdup (fsh_err_text (FSH_ERR_CORRUPTED));
        s_remove_part (self);
        return -1;
    }
    digest_hex (mine, self->hex);
    memcpy (self->final, mine, DIGEST_SIZE);
    if (self->has_sha256 && memcmp (mine, self->sha256, DIGEST_SIZE) != 0) {
        //  The owner's digest agrees with our bytes but not with what was
        //  published (or with the copy we switched from)
        self->code = FSH_ERR_CORRUPTED;
        *error = strdup ("file corrupted in transit: not the content that was published");
        s_remove_part (self);
        return -1;
    }
    s_apply_attributes (self);
    //  On disk for good before it gets its name: a crash never leaves a
    //  short file under the final name.
    if (fsync (self->fd) == -1) {
        *error = s_write_error (self, errno);
        s_remove_part (self);
        return -1;
    }
    if (s_dir_check (self, error)) {
        s_remove_part (self);
        return -1;
    }
    if (s_part_check (self, error))
        return -1;
    if (self->meta_stored)
        partrecord_remove (self->fd);
    if (s_publish (self, error)) {
        s_remove_part (self);
        return -1;
    }
    return 0;
}

int
sink_learn_digest (sink_t *self, const uint8_t sha256 [DIGEST_SIZE])
{
    if (self->has_sha256)
        return memcmp (self->sha256, sha256, DIGEST_SIZE) == 0? 0: -1;
    self->has_sha256 = true;
    memcpy (self->sha256, sha256, DIGEST_SIZE);
    if (self->meta_stored && !self->closed)
        self->meta_stored = s_record_write (self) == 0;
    return 0;
}

void
sink_resume_as (sink_t *self, int64_t mtime)
{
    if (self->by_digest && !self->started)
        self->expect_mtime = mtime;
}

int
sink_switch (sink_t *self, const char *owner, const char *path, int64_t mtime)
{
    if (!self->started || self->closed || self->hashed != self->written)
        return -1;
    free (self->owner);
    free (self->path);
    self->owner = strdup (owner);
    self->path = strdup (path);
    self->offset = self->written;
    self->expect_size = self->size;
    self->expect_mtime = mtime;
    self->started = false;
    return 0;
}

void
sink_abort (sink_t *self, bool keep)
{
    if (self->closed)
        return;
    self->closed = true;
    bool resumable = self->meta_stored && self->written > 0 && !self->lost;
    //  Not started: the partial file is as it was found (or new and empty)
    if (!self->started)
        resumable = self->offset > 0;
    //  A partial file in a directory that moved away is no later get's
    if (!keep || !resumable || self->dir_gone)
        s_remove_part (self);
}

fsh_err_t
sink_code (sink_t *self)
{
    return self->code;
}
