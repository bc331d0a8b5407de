/*  ratelog.c - warnings about bad input, a bounded number a second.
    See ratelog.h. */
#include "fshare.h"
#include "ratelog.h"

struct _fsh_ratelog_t {
    int per_second;
    int64_t window;             //  zclock_mono () when this second began
    int logged;                 //  warnings let through in it
    unsigned held;              //  warnings held back in it
    unsigned suppressed;        //  held back in all
};

fsh_ratelog_t *
fsh_ratelog_new (int per_second)
{
    fsh_ratelog_t *self = (fsh_ratelog_t *) zmalloc (sizeof (fsh_ratelog_t));
    self->per_second = per_second > 0? per_second: 1;
    self->window = INT64_MIN / 2;
    return self;
}

void
fsh_ratelog_destroy (fsh_ratelog_t **self_p)
{
    fsh_ratelog_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

void
fsh_ratelog_vwarning (fsh_ratelog_t *self, const char *who, const char *format, va_list args)
{
    int64_t now = zclock_mono ();
    if (now - self->window >= 1000) {
        if (self->held)
            zsys_warning ("%u more rejections not logged", self->held);
        self->window = now;
        self->logged = 0;
        self->held = 0;
    }
    if (self->logged >= self->per_second) {
        self->held++;
        self->suppressed++;
        return;
    }
    self->logged++;
    char *text = zsys_vprintf (format, args);
    zsys_warning ("%s: %s", who, text);
    zstr_free (&text);
}

void
fsh_ratelog_warning (fsh_ratelog_t *self, const char *who, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fsh_ratelog_vwarning (self, who, format, args);
    va_end (args);
}

unsigned
fsh_ratelog_suppressed (fsh_ratelog_t *self)
{
    return self->suppressed;
}
