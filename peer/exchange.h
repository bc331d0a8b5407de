/*  exchange.h - two names swapped in one call (renameat2 RENAME_EXCHANGE).

    inotify reports an exchange of a and b as two moves, a -> b and then
    b -> a, each paired by its own cookie. Taken as two renames they would
    leave both names' files under one of them (and a directory's watch
    dropped): the first move would overwrite what b held, the second
    would carry it all back. Told apart by the identity (device, inode)
    of what is known at each name against what is on disk now: the first
    half finds each name holding what the other held, and swaps them; the
    second finds the known state already right at both, and is nothing.
*/
#ifndef EXCHANGE_H_INCLUDED
#define EXCHANGE_H_INCLUDED

#include "published.h"
#include "watches.h"

typedef enum {
    EXCHANGE_NONE,              //  an ordinary move: the caller renames
    EXCHANGE_SWAPPED,           //  the first half: both names swapped
    EXCHANGE_ECHO               //  the second half: nothing to do
} exchange_t;

//  The move from -> to (both relative to rootfd; is_dir: a directory's)
//  looked at as half of an exchange. Swaps the published files (and, for
//  directories, the watches) and appends the changes for EXCHANGE_SWAPPED.
exchange_t exchange_apply (int rootfd, published_t *published, watches_t *watches,
                           const char *from, const char *to, bool is_dir,
                           zlistx_t *changes);

#endif
