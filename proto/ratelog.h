/*  ratelog.h - warnings about bad input, a bounded number a second.

    Bad input is logged (SPEC 6), but a flood of it must not become a flood
    of log lines that buries everything else or fills a disk. A ratelog
    lets `per_second` warnings through in each second and counts the rest;
    the count is logged when the next second's first warning comes. One
    ratelog can serve several parts of a program (the broker shares its own
    with the relay), so the bound holds for the whole.
*/
#ifndef FSH_RATELOG_H_INCLUDED
#define FSH_RATELOG_H_INCLUDED

#include <stdarg.h>

typedef struct _fsh_ratelog_t fsh_ratelog_t;

fsh_ratelog_t *fsh_ratelog_new (int per_second);
void fsh_ratelog_destroy (fsh_ratelog_t **self_p);

//  zsys_warning ("<who>: <text>"), unless this second's share is used up.
void fsh_ratelog_warning (fsh_ratelog_t *self, const char *who, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
void fsh_ratelog_vwarning (fsh_ratelog_t *self, const char *who, const char *format,
                           va_list args);

//  Warnings held back so far (tests).
unsigned fsh_ratelog_suppressed (fsh_ratelog_t *self);

#endif
