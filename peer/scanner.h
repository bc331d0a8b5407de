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
//  are read; on_file for every publishable regular file (st from fstatat
//  without following). Either may be NULL. Returns the number of files, or
//  -1 (errno set) when subdir is not a valid path or cannot be opened.
typedef void (scanner_dir_fn) (void *arg, const char *path, int fd);
typedef void (scanner_file_fn) (void *arg, const char *path, const struct stat *st);
int scanner_walk (int rootfd, const char *subdir,
                  scanner_dir_fn *on_dir, scanner_file_fn *on_file, void *arg);

//  Open directory root/subdir ("" or NULL: root itself) one component at a
//  time with O_NOFOLLOW, so no symlink on the way is followed. Returns a new
//  O_DIRECTORY descriptor, or -1 with errno set.
int scanner_open_dir (int rootfd, const char *subdir);

#endif
