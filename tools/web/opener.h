/*  opener.h - fshare-web --open: the page in the desktop's browser, its
    token kept off the command line.

    A command line is public: every local user sees xdg-open's arguments
    in ps, and the page's address carries the access token, which is as
    good as the user's fshare-ctl. So the address goes into a small HTML
    page that sends the browser on to it (a meta refresh, and a script for
    browsers that ignore that), mode 0600 in the user's private control
    directory, and xdg-open is given file:// and that page's path only.
*/
#ifndef OPENER_H_INCLUDED
#define OPENER_H_INCLUDED

typedef struct _opener_t opener_t;

//  Writes the page for `url` and starts xdg-open on it (not waited for).
//  NULL with the reason in *error (caller frees) when the page cannot be
//  written or xdg-open cannot be started; no page is left then.
opener_t *opener_new (const char *url, char **error);

//  Removes the page. The browser reads it some time after xdg-open has
//  returned (a browser that starts may take seconds, one that asks which
//  profile to use, longer), so the page lives until fshare-web ends; its
//  token is dead by then anyway.
void opener_destroy (opener_t **self_p);

//  The page's path.
const char *opener_page (opener_t *self);

#endif
