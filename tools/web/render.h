/*  render.h - fshare-web's HTML: the page, and the fragments that the
    script fetches to refresh parts of it.

    One renderer for both: the page without JavaScript is complete (the
    listing, the downloads, the banner as it was when loaded), and the
    script replaces a group, the downloads or the whole listing with the
    same HTML fetched again. Every text from outside is escaped here.
    Scale: a listing of more than RENDER_EXPAND files shows its folders
    closed (opened on demand); a folder shows RENDER_ROWS files, then a
    link to a page of that folder alone, paged; a listing shows
    RENDER_GROUPS folders per page.
*/
#ifndef RENDER_H_INCLUDED
#define RENDER_H_INCLUDED

#include "model.h"
#include "downloads.h"
#include "hub.h"
#include "webutil.h"

#define RENDER_EXPAND   2000
#define RENDER_ROWS     500
#define RENDER_GROUPS   300
//  Files of one folder download listed in the downloads panel (its
//  failures first): the panel is fetched again on every progress, and a
//  folder of 100,000 files would make it megabytes each time
#define RENDER_JOB_ITEMS 100

//  What the address asks to see.
typedef struct {
    const char *glob;           //  filter, or NULL
    const char *user;           //  one folder only: its user...
    const char *dir;            //  ...and its path ("" = top level)
    long page;                  //  1-based
} render_view_t;

//  The whole page. Caller frees.
char *render_page (model_t *model, downloads_t *downloads, hub_t *hub,
                   const render_view_t *view);
//  {"peers": HTML, "listing": HTML, "downloads": HTML, "hub": N}
char *render_all_json (model_t *model, downloads_t *downloads, hub_t *hub,
                       const render_view_t *view);
//  {"html": one group's <details>, or "" when it has no files now}
char *render_group_json (model_t *model, const char *user, const char *dir,
                         const char *glob, bool open);
//  {"counts": {user: "N files"}, "html": who is online}; with a filter
//  (`glob` not NULL or empty), the counts are of the files it matches and
//  "match" is the listing's "N files match." line
char *render_peers_json (model_t *model, const char *glob);
//  {"html": the downloads panel}
char *render_downloads_json (downloads_t *downloads);
//  The downloads panel (render_dl.c).
void render_downloads (webbuf_t *buf, downloads_t *downloads);

#endif
