/*  idtable.h - hash tables keyed by a 64-bit id (transfers, requests).

    A zhashx whose keys are pointers to uint64_t values that live inside
    the items themselves (so keys are neither copied nor freed), compared
    by value. Insert with zhashx_insert (table, &item->id, item).
*/
#ifndef FSH_IDTABLE_H_INCLUDED
#define FSH_IDTABLE_H_INCLUDED

#include "fshare.h"

//  destructor: frees an item (may be NULL).
zhashx_t *fsh_idtable_new (zhashx_destructor_fn *destructor);

#endif
