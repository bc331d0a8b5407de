/*  fdlimit.h - the process's descriptor limit, raised at start.

    The daemons hold a descriptor per connection and per file being served
    or written; the soft RLIMIT_NOFILE (often 1024) is a default for
    programs that never asked, not a choice of the user, who sets the hard
    one. The agent's upload cap (upload.c) is derived from what is in
    force after this.
*/
#ifndef FSH_FDLIMIT_H_INCLUDED
#define FSH_FDLIMIT_H_INCLUDED

//  Raise the soft RLIMIT_NOFILE to the hard limit (when the hard one is
//  unlimited, to what the kernel allows a process: fs.nr_open). *before
//  gets the soft limit found (0 when it cannot be read). Returns the soft
//  limit now in force: *before when it could not be raised.
uint64_t fsh_fdlimit_raise (uint64_t *before);

#endif
