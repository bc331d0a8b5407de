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

//  The table's items in a new plain list that owns nothing (zhashx_values
//  would give it the table's destructor), to walk while ending and
//  deleting some of them. The caller destroys the list.
zlistx_t *fsh_idtable_items (zhashx_t *table);

//  Whether an item has work to do now.
typedef bool (fsh_idtable_wants_fn) (void *item);

//  Up to `max` of the items that `wants`, in a new list that owns
//  nothing, starting where the last call's turn ended (*turn counts the
//  items handed out): work shared out a slice at a time reaches each item
//  in turn, and a loop turn's work stays bounded however many items there
//  are. The caller destroys the list.
zlistx_t *fsh_idtable_turn (zhashx_t *table, fsh_idtable_wants_fn *wants, size_t max,
                            uint64_t *turn);

#endif
