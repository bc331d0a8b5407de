/*  bounds.c - limits a broker administrator may tighten. See bounds.h. */
#include "fshare.h"
#include "bounds.h"

//  Components of a path that fsh_path_check accepted (no empty ones).
static int
s_depth (const char *path)
{
    int depth = 1;
    for (const char *c = path; *c; c++)
        depth += *c == '/';
    return depth;
}

const char *
fsh_path_check_bounded (const char *path, size_t max_bytes, int max_depth)
{
    const char *reason = fsh_path_check (path);
    if (reason)
        return reason;
    //  Names of partial downloads are never published (SPEC 4.2): one that
    //  is offered anyway would look like a requester's own partial file
    if (fsh_path_is_partial (path))
        return "partial download names are never published";
    if (max_bytes && strlen (path) > max_bytes)
        return "path longer than the broker allows (--max-path)";
    if (max_depth > 0 && s_depth (path) > max_depth)
        return "path deeper than the broker allows (--max-depth)";
    return NULL;
}

const char *
fsh_file_check_bounded (const Fshare__FileInfo *file, size_t max_bytes, int max_depth)
{
    const char *reason = fsh_file_check (file);
    if (reason)
        return reason;
    return fsh_path_check_bounded (file->path, max_bytes, max_depth);
}
