/*  moves.h - the moved-from halves of inotify moves, waiting for their
    moved-to partner (paired by cookie).

    moves.c is the host directory's move pairing: this list, and what a
    paired or unpaired half does to what is published (hostdir_moved_from,
    hostdir_moved_to and hostdir_flush_moves in hostdir_int.h). The host
    directory reports a move within the tree as a rename, and a half that
    finds no partner as a move out: once it had its chance (a later read
    of events, or a short deadline), or as soon as an event about a place
    at or below it must be reported after it.
*/
#ifndef MOVES_H_INCLUDED
#define MOVES_H_INCLUDED

#include "fshare.h"

typedef struct {
    uint32_t cookie;
    char *path;                 //  where it was moved from
    bool is_dir;
    int64_t deadline;           //  zclock_mono
    uint64_t call;              //  the read of events that saw it
} move_t;

typedef struct _moves_t moves_t;

moves_t *moves_new (void);
void moves_destroy (moves_t **self_p);
void move_destroy (move_t **self_p);

void moves_add (moves_t *self, uint32_t cookie, const char *path, bool is_dir,
                int64_t deadline, uint64_t call);

//  The half with that cookie, taken (caller destroys it), or NULL.
move_t *moves_take (moves_t *self, uint32_t cookie);

//  The first half whose path is path or a directory above it, taken.
move_t *moves_take_conflict (moves_t *self, const char *path);

//  The first half read before `call` or past its deadline at now, taken.
move_t *moves_take_stale (moves_t *self, uint64_t call, int64_t now);

//  The earliest deadline, or INT64_MAX when nothing waits.
int64_t moves_deadline (moves_t *self);

void moves_purge (moves_t *self);

#endif
