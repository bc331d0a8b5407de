/*  scanner.c - walk a host directory and collect what it publishes.

    Every directory is opened relative to its parent's descriptor with
    O_NOFOLLOW and every entry is examined with fstatat without following,
    so the walk never leaves the tree through a symlink, even one swapped in
    while it runs. One path buffer is shared by the whole walk (appended to
    on the way down, cut back on the way up): no allocation per file, which
    keeps 100,000-file trees fast.
*/
#include "scanner.h"
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#define S_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

typedef struct {
    scanner_dir_fn *on_dir;
    scanner_file_fn *on_file;
    void *arg;
    int count;                          //  files reported
    char path [FSH_PATH_MAX + 1];       //  current path, relative to root
} s_walk_t;

//  Why a regular file is not shared although its name is fine
#define S_DATED "its mtime is out of the range fshare carries (the year 9999 either way)"

//  Names come from disk: never write control characters or broken UTF-8
//  into the log.
static void
s_log_path (const char *level, const char *what, const char *path, const char *reason)
{
    bool ascii_only = !fsh_text_valid (path, SIZE_MAX);
    char clean [256];
    size_t index = 0;
    for (; path [index] && index < sizeof (clean) - 4; index++) {
        unsigned char c = (unsigned char) path [index];
        bool bad = c < 0x20 || c == 0x7F || (ascii_only && c >= 0x80);
        clean [index] = bad? '?': (char) c;
    }
    if (path [index])
        strcpy (clean + index, "...");
    else
        clean [index] = 0;
    if (streq (level, "info"))
        zsys_info ("scanner: %s '%s': %s", what, clean, reason);
    else
        zsys_warning ("scanner: %s '%s': %s", what, clean, reason);
}

static void
s_log_skip (const char *level, const char *path, const char *reason)
{
    s_log_path (level, "skipping", path, reason);
}

bool
scanner_check_path (const char *path)
{
    const char *error = fsh_path_check (path);
    if (error)
        s_log_skip ("warning", path, error);
    return error == NULL;
}

static int
s_depth (const char *path)
{
    if (!path || !*path)
        return 0;
    int depth = 1;
    for (const char *c = path; *c; c++)
        if (*c == '/')
            depth++;
    return depth;
}

int
scanner_open_dir (int rootfd, const char *subdir)
{
    if (subdir && *subdir && fsh_path_check (subdir)) {
        errno = EINVAL;
        return -1;
    }
    int fd = openat (rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || !subdir || !*subdir)
        return fd;
    char name [FSH_NAME_MAX + 1];
    const char *start = subdir;
    while (*start) {
        const char *slash = strchr (start, '/');
        size_t len = slash? (size_t) (slash - start): strlen (start);
        memcpy (name, start, len);      //  len <= FSH_NAME_MAX: path checked
        name [len] = 0;
        int next = openat (fd, name, S_DIR_FLAGS);
        int saved = errno;
        close (fd);
        if (next < 0) {
            errno = saved;
            return -1;
        }
        fd = next;
        start = slash? slash + 1: start + len;
    }
    return fd;
}

static void s_walk_dir (s_walk_t *walk, int fd, size_t path_len, int depth);

//  An error that says nothing is there (or no directory, where one was
//  on the way); any other (EACCES, EIO, EMFILE...) says only that we
//  cannot look now.
static bool
s_gone (int error)
{
    return error == ENOENT || error == ENOTDIR || error == ELOOP
        || error == ENAMETOOLONG || error == EINVAL;
}

//  One entry of a directory; walk->path already holds its path.
static void
s_walk_entry (s_walk_t *walk, int dirfd, const char *name, unsigned char type,
              size_t path_len, int depth)
{
    if (fsh_path_is_partial (name))
        return;
    const char *error = fsh_path_check (walk->path);
    if (error) {
        s_log_skip ("warning", walk->path, error);
        return;
    }
    if (type == DT_LNK) {
        s_log_skip ("info", walk->path, "symlinks are not followed");
        return;
    }
    struct stat st;
    if (type != DT_DIR) {
        if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
            return;                     //  vanished meanwhile
        if (S_ISREG (st.st_mode) && fsh_mtime_check ((int64_t) st.st_mtim.tv_sec)) {
            s_log_skip ("warning", walk->path, S_DATED);
            return;
        }
        if (S_ISREG (st.st_mode)) {
            walk->count++;
            if (walk->on_file)
                walk->on_file (walk->arg, walk->path, dirfd, name, &st);
            return;
        }
        if (S_ISLNK (st.st_mode)) {
            s_log_skip ("info", walk->path, "symlinks are not followed");
            return;
        }
        if (!S_ISDIR (st.st_mode))
            return;                     //  fifo, socket, device: not shared
    }
    int fd = openat (dirfd, name, S_DIR_FLAGS);
    if (fd < 0) {
        //  ELOOP/ENOTDIR: replaced by a symlink or a file since readdir
        if (s_gone (errno))
            return;
        s_log_skip ("warning", walk->path, strerror (errno));
        if (walk->on_dir)
            walk->on_dir (walk->arg, walk->path, -1);
        return;
    }
    s_walk_dir (walk, fd, path_len, depth);
}

//  Walk the directory open on fd (taken over) whose path is walk->path.
static void
s_walk_dir (s_walk_t *walk, int fd, size_t path_len, int depth)
{
    if (depth >= FSH_DEPTH_MAX) {
        s_log_skip ("warning", walk->path, "directory too deep");
        close (fd);
        return;
    }
    if (walk->on_dir && !walk->on_dir (walk->arg, walk->path, fd)) {
        close (fd);
        return;
    }
    DIR *dir = fdopendir (fd);
    if (!dir) {
        s_log_skip ("warning", walk->path, strerror (errno));
        close (fd);
        return;
    }
    while (true) {
        errno = 0;
        struct dirent *entry = readdir (dir);
        if (!entry) {
            if (errno)
                s_log_skip ("warning", walk->path, strerror (errno));
            break;
        }
        const char *name = entry->d_name;
        if (streq (name, ".") || streq (name, ".."))
            continue;
        size_t name_len = strlen (name);
        size_t child_len = path_len? path_len + 1 + name_len: name_len;
        if (child_len > FSH_PATH_MAX) {
            s_log_skip ("warning", walk->path, "a name inside makes the path too long");
            continue;
        }
        char *end = walk->path + path_len;
        if (path_len)
            *end++ = '/';
        memcpy (end, name, name_len + 1);
        s_walk_entry (walk, dirfd (dir), name, entry->d_type, child_len, depth + 1);
        walk->path [path_len] = 0;
    }
    closedir (dir);
}

int
scanner_walk (int rootfd, const char *subdir,
              scanner_dir_fn *on_dir, scanner_file_fn *on_file, void *arg)
{
    int fd = scanner_open_dir (rootfd, subdir);
    if (fd < 0)
        return -1;
    s_walk_t *walk = (s_walk_t *) zmalloc (sizeof (s_walk_t));
    assert (walk);
    walk->on_dir = on_dir;
    walk->on_file = on_file;
    walk->arg = arg;
    size_t path_len = subdir? strlen (subdir): 0;
    if (path_len)
        memcpy (walk->path, subdir, path_len + 1);   //  checked: <= FSH_PATH_MAX
    s_walk_dir (walk, fd, path_len, s_depth (subdir));
    int count = walk->count;
    free (walk);
    return count;
}

static void
s_put_file (void *arg, const char *path, int dirfd, const char *name, const struct stat *st)
{
    (void) dirfd; (void) name;
    fileset_put_stat ((fileset_t *) arg, path, st);
}

int
scanner_scan (const char *root, const char *subdir, fileset_t *into)
{
    assert (root);
    assert (into);
    int rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        zsys_warning ("scanner: cannot open '%s': %s", root, strerror (errno));
        return -1;
    }
    int count = scanner_walk (rootfd, subdir, NULL, s_put_file, into);
    if (count < 0)
        zsys_warning ("scanner: cannot open '%s' in '%s': %s",
                      subdir, root, strerror (errno));
    close (rootfd);
    return count;
}

scanner_state_t
scanner_probe (int dirfd, const char *name, struct stat *st)
{
    assert (name);
    //  O_NONBLOCK: a file under someone's write lease must not block us;
    //  O_NOATIME where allowed (our own files), so probing changes nothing
    int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    int fd = openat (dirfd, name, flags | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = openat (dirfd, name, flags);
    if (fd < 0)
        return SCANNER_UNKNOWN;
    scanner_state_t state = SCANNER_UNKNOWN;
    if (fcntl (fd, F_SETLEASE, F_RDLCK) == 0) {
        struct stat now;
        if (st && fstat (fd, &now) == 0 && S_ISREG (now.st_mode))
            *st = now;
        //  Dropped at once: a writer opening it now waits only this long
        fcntl (fd, F_SETLEASE, F_UNLCK);
        state = SCANNER_READY;
    }
    else
    if (errno == EAGAIN)
        state = SCANNER_BUSY;
    close (fd);
    return state;
}

scanner_state_t
scanner_examine (int rootfd, const char *path, struct stat *st)
{
    assert (path);
    assert (st);
    const char *slash = strrchr (path, '/');
    const char *name = slash? slash + 1: path;
    int dirfd = rootfd;
    if (slash) {
        char dir [FSH_PATH_MAX + 1];
        size_t len = (size_t) (slash - path);
        if (len > FSH_PATH_MAX)
            return SCANNER_GONE;
        memcpy (dir, path, len);
        dir [len] = 0;
        dirfd = scanner_open_dir (rootfd, dir);
        if (dirfd < 0 && s_gone (errno))
            return SCANNER_GONE;
        if (dirfd < 0) {
            s_log_path ("warning", "cannot look at", path, strerror (errno));
            return SCANNER_UNREACHABLE;
        }
    }
    scanner_state_t state = SCANNER_GONE;
    if (fstatat (dirfd, name, st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK (st->st_mode))
            s_log_skip ("info", path, "symlinks are not followed");
        //  Not shared, like a fifo: a published file dated so leaves the view
        bool dated = S_ISREG (st->st_mode) && fsh_mtime_check ((int64_t) st->st_mtim.tv_sec);
        if (dated)
            s_log_skip ("warning", path, S_DATED);
        state = !S_ISREG (st->st_mode) || dated? SCANNER_OTHER
              : scanner_probe (dirfd, name, st) == SCANNER_BUSY? SCANNER_BUSY: SCANNER_READY;
    }
    else
    if (!s_gone (errno)) {
        s_log_path ("warning", "cannot look at", path, strerror (errno));
        state = SCANNER_UNREACHABLE;
    }
    if (dirfd != rootfd)
        close (dirfd);
    return state;
}
