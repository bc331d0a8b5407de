/*  validate.h - the rules every name and path from outside must pass.

    Each check returns NULL when the input is acceptable, or a short
    static text saying what is wrong (for error replies and logs).
*/
#ifndef FSH_VALIDATE_H_INCLUDED
#define FSH_VALIDATE_H_INCLUDED

//  User names: 1..FSH_USER_MAX chars of [A-Za-z0-9._-], not starting with '.'
//  or '-' (they become file names and command-line words).
const char *fsh_user_check (const char *user);

//  Published paths: relative, '/'-separated, valid UTF-8, no control
//  characters, no empty, "." or ".." component, length and depth limits.
const char *fsh_path_check (const char *path);

//  True for names never published: ".*.fshare-part" partial downloads.
bool fsh_path_is_partial (const char *name);

//  An mtime the protocol carries: up to year 9999 both ways. A file
//  system of 64-bit times (tmpfs, XFS, btrfs) can hold one beyond
//  (touch -d @300000000000): such a file is not published, as the broker
//  would refuse the whole list or change that holds it.
const char *fsh_mtime_check (int64_t mtime);

//  A whole FileInfo: path rules, and size/mtime within sane ranges.
const char *fsh_file_check (const Fshare__FileInfo *file);

//  An owner's Opened: size, mtime, digest and mode as for a FileInfo, and
//  the offset within the size.
const char *fsh_opened_check (const Fshare__Opened *opened);

//  A file of a list that came from the broker (events, snapshots, the
//  agent's replies to its tools): fsh_file_check, and not a partial
//  download's name, which no broker lists.
const char *fsh_listed_check (const Fshare__FileInfo *file);

//  Valid UTF-8 without control characters, at most max_bytes long.
bool fsh_text_valid (const char *text, size_t max_bytes);

#endif
