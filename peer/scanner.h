/*  scanner.h - walk a host directory and collect what it publishes.

    Regular files only, recursively; symlinks are never followed (skipped and
    logged); ".*.fshare-part" names and paths failing fsh_path_check are
    skipped. Directories are opened relative to their parent's descriptor
    with O_NOFOLLOW, so a symlink swapped in cannot lead the walk outside.
*/
#ifndef SCANNER_H_INCLUDED
#define SCANNER_H_INCLUDED

#include "fileset.h"

//  Scan root/subdir (subdir NULL or "" for the whole tree) and put every file
//  found into `into` (paths relative to root). Returns the number of files
//  found, or -1 when root/subdir cannot be opened.
int scanner_scan (const char *root, const char *subdir, fileset_t *into);

#endif
