/*  moves.c - the moved-from halves of inotify moves. See moves.h.

    A plain list: halves wait for a few milliseconds at most, so there are
    few at a time except in a flood, where they are paired in order.
*/
#include "moves.h"

struct _moves_t {
    zlistx_t *list;             //  move_t (owned), in the order read
};

void
move_destroy (move_t **self_p)
{
    assert (self_p);
    move_t *self = *self_p;
    if (self) {
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}

static void
s_destructor (void **item_p)
{
    move_destroy ((move_t **) item_p);
}

moves_t *
moves_new (void)
{
    moves_t *self = (moves_t *) zmalloc (sizeof (moves_t));
    assert (self);
    self->list = zlistx_new ();
    assert (self->list);
    zlistx_set_destructor (self->list, s_destructor);
    return self;
}

void
moves_destroy (moves_t **self_p)
{
    assert (self_p);
    moves_t *self = *self_p;
    if (self) {
        zlistx_destroy (&self->list);
        free (self);
        *self_p = NULL;
    }
}

void
moves_add (moves_t *self, uint32_t cookie, const char *path, bool is_dir,
           int64_t deadline, uint64_t call)
{
    assert (self);
    move_t *move = (move_t *) zmalloc (sizeof (move_t));
    assert (move);
    move->cookie = cookie;
    move->path = strdup (path);
    assert (move->path);
    move->is_dir = is_dir;
    move->deadline = deadline;
    move->call = call;
    zlistx_add_end (self->list, move);
}

static bool
s_is_at_or_under (const char *path, const char *dir)
{
    size_t len = strlen (dir);
    return strncmp (path, dir, len) == 0 && (path [len] == 0 || path [len] == '/');
}

typedef enum { S_BY_COOKIE, S_BY_PATH, S_BY_AGE } s_which_t;

static move_t *
s_take (moves_t *self, s_which_t which, uint32_t cookie, const char *path,
        uint64_t call, int64_t now)
{
    move_t *move = (move_t *) zlistx_first (self->list);
    while (move) {
        bool hit = which == S_BY_COOKIE? move->cookie == cookie
                 : which == S_BY_PATH? s_is_at_or_under (path, move->path)
                 : move->call < call || move->deadline <= now;
        if (hit) {
            zlistx_detach (self->list, zlistx_cursor (self->list));
            return move;
        }
        move = (move_t *) zlistx_next (self->list);
    }
    return NULL;
}

move_t *
moves_take (moves_t *self, uint32_t cookie)
{
    assert (self);
    return s_take (self, S_BY_COOKIE, cookie, NULL, 0, 0);
}

move_t *
moves_take_conflict (moves_t *self, const char *path)
{
    assert (self);
    assert (path);
    return s_take (self, S_BY_PATH, 0, path, 0, 0);
}

move_t *
moves_take_stale (moves_t *self, uint64_t call, int64_t now)
{
    assert (self);
    return s_take (self, S_BY_AGE, 0, NULL, call, now);
}

int64_t
moves_deadline (moves_t *self)
{
    assert (self);
    int64_t next = INT64_MAX;
    move_t *move = (move_t *) zlistx_first (self->list);
    while (move) {
        if (move->deadline < next)
            next = move->deadline;
        move = (move_t *) zlistx_next (self->list);
    }
    return next;
}

void
moves_purge (moves_t *self)
{
    assert (self);
    zlistx_purge (self->list);
}
