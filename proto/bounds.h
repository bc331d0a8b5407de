/*  bounds.h - limits a broker administrator may tighten (SPEC 6).

    fsh_path_check holds every path to the protocol's own maxima
    (FSH_PATH_MAX bytes, FSH_DEPTH_MAX components); a broker can be stricter
    (--max-path, --max-depth). These checks add those limits on top.
*/
#ifndef FSH_BOUNDS_H_INCLUDED
#define FSH_BOUNDS_H_INCLUDED

//  fsh_path_check, not a partial download's name (fsh_path_is_partial),
//  then at most max_bytes bytes and max_depth components (0: the
//  protocol's maxima). NULL when acceptable, else a static reason.
const char *fsh_path_check_bounded (const char *path, size_t max_bytes, int max_depth);

//  fsh_file_check with the path held to the same limits.
const char *fsh_file_check_bounded (const Fshare__FileInfo *file, size_t max_bytes,
                                    int max_depth);

#endif
