/*  fdlimit.c - the process's descriptor limit, raised at start. See fdlimit.h. */
#include "fshare.h"
#include "fdlimit.h"
#include <sys/resource.h>

//  What the kernel allows one process at most, or 0
static rlim_t
s_nr_open (void)
{
    FILE *file = fopen ("/proc/sys/fs/nr_open", "r");
    unsigned long long value = 0;
    if (file && fscanf (file, "%llu", &value) != 1)
        value = 0;
    if (file)
        fclose (file);
    return (rlim_t) value;
}

uint64_t
fsh_fdlimit_raise (uint64_t *before)
{
    struct rlimit limit;
    *before = 0;
    if (getrlimit (RLIMIT_NOFILE, &limit) == -1)
        return 0;
    *before = (uint64_t) limit.rlim_cur;
    rlim_t want = limit.rlim_max;
    if (want == RLIM_INFINITY && !(want = s_nr_open ()))
        return *before;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= want)
        return *before;
    limit.rlim_cur = want;
    if (setrlimit (RLIMIT_NOFILE, &limit) == -1)
        return *before;
    return (uint64_t) want;
}
