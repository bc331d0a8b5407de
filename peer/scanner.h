/*  scanner.h - walk a host directory and collect what it publishes.

    Regular files only, recursively; symlinks are never followed (skipped and
    logged); ".*.fshare-part" names and paths failing fsh_path_check are
    skipped. Directories are opened relative to their parent's descriptor
    with O_NOFOLLOW, so a symlink swapped in cannot lead the walk outside.
*/
#ifndef SCANNER_H_INCLUDED
#define SCANNER_H_INCLUDED

#include "fileset.h"
#include <sys/stat.h>

//  Scan root/subdir (subdir NULL or "" for the whole tree) and put every file
//  found into `into` (paths relative to root). Returns the number of files
//  found, or -1 when root/subdir cannot be opened.
int scanner_scan (const char *root, const char *subdir, fileset_t *into);

//  The walk underneath, for callers that need more than a fileset (the host
//  directory adds an inotify watch on each directory before reading it).
//  on_dir is called for every directory walked, starting directory included
//  (path "" for the root), with a descriptor open on it, before its entries
//  are read; when it returns false the directory is not read. A directory
//  that is there but cannot be opened (permission denied, an I/O error)
//  is logged and given to on_dir with fd -1 (its return then ignored):
//  what it holds is not known, which is not the same as nothing. on_file is
//  called for every publishable regular file, with the descriptor of its
//  directory, its name, and st from fstatat without following. Either may
//  be NULL. Returns the number of files reported, or -1 (errno set) when
//  subdir is not a valid path or cannot be opened.
typedef bool (scanner_dir_fn) (void *arg, const char *path, int fd);
typedef void (scanner_file_fn) (void *arg, const char *path, int dirfd,
                                const char *name, const struct stat *st);
int scanner_walk (int rootfd, const char *subdir,
                  scanner_dir_fn *on_dir, scanner_file_fn *on_file, void *arg);

//  Open directory root/subdir ("" or NULL: root itself) one component at a
//  time with O_NOFOLLOW, so no symlink on the way is followed. Returns a new
//  O_DIRECTORY descriptor, or -1 with errno set.
int scanner_open_dir (int rootfd, const char *subdir);

//  True when path may be published (fsh_path_check); else false, and the
//  reason is logged with the name made safe for a log (a name that cannot
//  be published is never skipped silently).
bool scanner_check_path (const char *path);

//  Whether a writer has the regular file dirfd/name open, learnt from a
//  read lease (fcntl F_SETLEASE, taken and dropped at once: the kernel
//  refuses it with EAGAIN while the file is open for writing anywhere).
//  Needs the file to belong to the caller's user, or CAP_LEASE. When the
//  file is READY and `st` is not NULL, *st becomes its stat taken while
//  the lease was held: a writer that closed between the caller's stat and
//  the probe would otherwise have a size published that it had already
//  outgrown (and a second event to correct it).
typedef enum {
    SCANNER_READY,              //  nothing writes it
    SCANNER_BUSY,               //  open for writing
    SCANNER_UNKNOWN,            //  cannot tell (not ours, no lease support,
                                //  unreadable, gone)
    SCANNER_GONE,               //  scanner_examine: nothing there
    SCANNER_UNREACHABLE,        //  scanner_examine: cannot be looked at now (a
                                //  directory on the way unreadable, an I/O
                                //  error): not known to be gone
    SCANNER_OTHER               //  scanner_examine: no regular file
} scanner_state_t;
scanner_state_t scanner_probe (int dirfd, const char *name, struct stat *st);

//  What root/path is now, reached one O_NOFOLLOW component at a time:
//  SCANNER_GONE (also when a directory on the way is not one),
//  _UNREACHABLE (the way or the file cannot be looked at: permission
//  denied, an I/O error, no descriptor left; st not filled), _OTHER (a
//  symlink, logged; a directory, a fifo, a regular file dated beyond the
//  year 9999, logged...: st filled), or for a regular
//  file _BUSY or _READY (a probe that cannot tell counts as ready), with
//  st filled.
scanner_state_t scanner_examine (int rootfd, const char *path, struct stat *st);

#endif
