/*  render.c - the page and its fragments. See render.h. */
#include "render.h"
#include <time.h>

static void
s_head (webbuf_t *buf)
{
    webbuf_add (buf,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>fshare</title><link rel=\"stylesheet\" href=\"/style.css\">"
        "<script src=\"/app.js\" defer></script></head>\n");
}

static void
s_time (webbuf_t *buf, int64_t mtime)
{
    time_t when = (time_t) mtime;
    struct tm utc, local;
    char iso [32] = "", text [32] = "";
    if (gmtime_r (&when, &utc))
        strftime (iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &utc);
    if (localtime_r (&when, &local))
        strftime (text, sizeof text, "%Y-%m-%d %H:%M", &local);
    webbuf_printf (buf, "<time datetime=\"%s\">%s</time>", iso, text);
}

static void
s_size (webbuf_t *buf, uint64_t bytes)
{
    char text [32];
    fsh_human_size (bytes, text, sizeof text);
    webbuf_add (buf, text);
}

//  A hidden-field POST form with one button.
static void
s_action (webbuf_t *buf, const char *action, const char *user, const char *key,
          const char *value, const char *label, const char *text)
{
    webbuf_printf (buf, "<form method=\"post\" action=\"%s\" class=\"act\">", action);
    webbuf_add (buf, "<input type=\"hidden\" name=\"user\" value=\"");
    webbuf_html (buf, user);
    webbuf_printf (buf, "\"><input type=\"hidden\" name=\"%s\" value=\"", key);
    webbuf_html (buf, value);
    webbuf_add (buf, "\"><button type=\"submit\" aria-label=\"");
    webbuf_shown (buf, label);
    webbuf_add (buf, "\">");
    webbuf_html (buf, text);
    webbuf_add (buf, "</button></form>");
}

static void
s_row (webbuf_t *buf, model_t *model, const char *user, const model_file_t *file)
{
    const char *name = file->path + file->dir_len + (file->dir_len? 1: 0);
    webbuf_add (buf, "<tr class=\"file\" data-user=\"");
    webbuf_html (buf, user);
    webbuf_add (buf, "\" data-path=\"");
    webbuf_html (buf, file->path);
    webbuf_add (buf, "\"><td class=\"name\">");
    webbuf_shown (buf, name);
    webbuf_add (buf, "</td><td class=\"size\">");
    s_size (buf, file->size);
    webbuf_add (buf, "</td><td>");
    s_time (buf, file->mtime);
    webbuf_add (buf, "</td><td class=\"sha\">");
    if (*file->sha256) {
        webbuf_printf (buf, "<code title=\"SHA-256 %s\">%.12s</code>", file->sha256, file->sha256);
        size_t copies = model_copies (model, file->sha256);
        if (copies > 1)
            webbuf_printf (buf, " <span class=\"dup\" title=\"this content exists %zu times "
                           "in the team\">×%zu</span>", copies, copies);
    }
    else
        webbuf_add (buf, "<span class=\"pending\" title=\"the owner is still hashing\">…</span>");
    webbuf_add (buf, "</td><td>");
    char *label = zsys_sprintf ("Download %s from %s", file->path, user);
    s_action (buf, "/download", user, "path", file->path, label, "Download");
    zstr_free (&label);
    webbuf_add (buf, "</td></tr>\n");
}

static void
s_query (webbuf_t *buf, const char *glob)
{
    if (glob && *glob) {
        webbuf_add (buf, "&amp;q=");
        webbuf_url (buf, glob);
    }
}

static void
s_folder_link (webbuf_t *buf, const char *user, const char *dir, const char *glob,
               long page, const char *text)
{
    webbuf_add (buf, "<a href=\"/?u=");
    webbuf_url (buf, user);
    webbuf_add (buf, "&amp;d=");
    webbuf_url (buf, dir);
    s_query (buf, glob);
    if (page > 1)
        webbuf_printf (buf, "&amp;p=%ld", page);
    webbuf_add (buf, "\">");
    webbuf_shown (buf, text);
    webbuf_add (buf, "</a>");
}

//  One folder: <details> with its summary, a download button and, when
//  open, its rows from `first` (at most RENDER_ROWS).
static void
s_group (webbuf_t *buf, model_t *model, const char *user, const char *dir,
         zlistx_t *files, const char *glob, bool open, size_t first)
{
    size_t count = zlistx_size (files);
    uint64_t bytes = 0;
    for (model_file_t *file = (model_file_t *) zlistx_first (files); file;
         file = (model_file_t *) zlistx_next (files))
        bytes += file->size;
    webbuf_add (buf, "<details class=\"group\" data-user=\"");
    webbuf_html (buf, user);
    webbuf_add (buf, "\" data-dir=\"");
    webbuf_html (buf, dir);
    webbuf_printf (buf, "\"%s%s><summary><span class=\"dir\">", open? " open": "",
                   open? "": " data-lazy=\"1\"");
    webbuf_shown (buf, *dir? dir: "(top level)");
    webbuf_add (buf, *dir? "/": "");
    webbuf_printf (buf, "</span> <small>%zu file%s, ", count, count == 1? "": "s");
    s_size (buf, bytes);
    webbuf_add (buf, "</small></summary>\n");
    char *label = zsys_sprintf ("Download folder %s/ from %s", *dir? dir: "(top level)", user);
    s_action (buf, "/download", user, "dir", dir, label, "Download folder");
    zstr_free (&label);
    if (!open) {
        webbuf_add (buf, "<p class=\"lazy\">");
        s_folder_link (buf, user, dir, glob, 1, "Show the files of this folder");
        webbuf_add (buf, "</p></details>\n");
        return;
    }
    webbuf_add (buf, "<table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Size</th>"
                     "<th scope=\"col\">Modified</th><th scope=\"col\">SHA-256</th>"
                     "<th scope=\"col\"><span class=\"vh\">Action</span></th></tr></thead><tbody>\n");
    size_t index = 0, shown = 0;
    for (model_file_t *file = (model_file_t *) zlistx_first (files); file && shown < RENDER_ROWS;
         file = (model_file_t *) zlistx_next (files), index++)
        if (index >= first) {
            s_row (buf, model, user, file);
            shown++;
        }
    webbuf_add (buf, "</tbody></table>\n");
    if (first == 0 && count > RENDER_ROWS) {
        char *text = zsys_sprintf ("%zu more files: show this folder alone", count - RENDER_ROWS);
        webbuf_add (buf, "<p class=\"more\">");
        s_folder_link (buf, user, dir, glob, 2, text);
        webbuf_add (buf, "</p>");
        zstr_free (&text);
    }
    webbuf_add (buf, "</details>\n");
}

//  Splits a user's sorted files into folders: calls s_group for each of
//  the folders numbered [skip, skip + limit); returns how many there were.
static size_t
s_user_groups (webbuf_t *buf, model_t *model, const char *user, zlistx_t *files,
               const char *glob, bool open, size_t skip, size_t limit)
{
    size_t groups = 0;
    model_file_t *file = (model_file_t *) zlistx_first (files);
    while (file) {
        zlistx_t *group = zlistx_new ();
        model_file_t *head = file;
        while (file && file->dir_len == head->dir_len
               && memcmp (file->path, head->path, head->dir_len) == 0) {
            zlistx_add_end (group, file);
            file = (model_file_t *) zlistx_next (files);
        }
        if (groups >= skip && groups < skip + limit) {
            char *dir = strndup (head->path, head->dir_len);
            s_group (buf, model, user, dir, group, glob, open, 0);
            free (dir);
        }
        groups++;
        zlistx_destroy (&group);
    }
    return groups;
}

static void
s_listing (webbuf_t *buf, model_t *model, const render_view_t *view)
{
    const char *glob = view->glob;
    zlistx_t *users = model_users (model);
    size_t total = 0;
    zlistx_t *lists = zlistx_new ();
    for (const char *user = (const char *) zlistx_first (users); user;
         user = (const char *) zlistx_next (users)) {
        zlistx_t *files = model_files (model, user, glob, NULL, false);
        total += zlistx_size (files);
        zlistx_add_end (lists, files);
    }
    bool open = total <= RENDER_EXPAND;
    size_t skip = (size_t) (view->page - 1) * RENDER_GROUPS, seen = 0;
    if (glob && *glob)
        webbuf_printf (buf, "<p class=\"count\">%zu file%s match.</p>\n", total,
                       total == 1? "": "s");
    if (zlistx_size (users) == 0)
        webbuf_add (buf, "<p class=\"none\">Nobody is online.</p>\n");
    zlistx_t *files = (zlistx_t *) zlistx_first (lists);
    for (const char *user = (const char *) zlistx_first (users); user;
         user = (const char *) zlistx_next (users), files = (zlistx_t *) zlistx_next (lists)) {
        webbuf_add (buf, "<section class=\"user\" data-user=\"");
        webbuf_html (buf, user);
        webbuf_add (buf, "\"><h3>");
        webbuf_html (buf, user);
        webbuf_printf (buf, " <small class=\"count\">%zu file%s</small></h3>\n", zlistx_size (files),
                       zlistx_size (files) == 1? "": "s");
        size_t limit = seen < skip + RENDER_GROUPS? skip + RENDER_GROUPS - seen: 0;
        size_t from = seen < skip? skip - seen: 0;
        seen += s_user_groups (buf, model, user, files, glob, open, from, limit > from? limit - from: 0);
        webbuf_add (buf, "</section>\n");
        zlistx_destroy (&files);
    }
    if (seen > skip + RENDER_GROUPS || view->page > 1) {
        webbuf_add (buf, "<nav class=\"pages\" aria-label=\"Folder pages\">");
        if (view->page > 1) {
            webbuf_printf (buf, "<a href=\"/?p=%ld", view->page - 1);
            s_query (buf, glob);
            webbuf_add (buf, "\">Previous folders</a> ");
        }
        if (seen > skip + RENDER_GROUPS) {
            webbuf_printf (buf, "<a href=\"/?p=%ld", view->page + 1);
            s_query (buf, glob);
            webbuf_add (buf, "\">More folders</a>");
        }
        webbuf_add (buf, "</nav>\n");
    }
    zlistx_destroy (&lists);
    zlistx_destroy (&users);
}

//  One folder alone, paged (?u=USER&d=DIR).
static void
s_folder_page (webbuf_t *buf, model_t *model, const render_view_t *view)
{
    zlistx_t *files = model_files (model, view->user, view->glob, view->dir, false);
    size_t count = zlistx_size (files);
    webbuf_add (buf, "<p><a href=\"/\">All folders</a></p>\n<section class=\"user\" data-user=\"");
    webbuf_html (buf, view->user);
    webbuf_add (buf, "\"><h3>");
    webbuf_html (buf, view->user);
    webbuf_add (buf, "</h3>\n");
    size_t first = (size_t) (view->page - 1) * RENDER_ROWS;
    if (count == 0)
        webbuf_add (buf, "<p class=\"none\">No files here.</p>\n");
    else
        s_group (buf, model, view->user, view->dir, files, view->glob, true, first);
    webbuf_add (buf, "<nav class=\"pages\" aria-label=\"File pages\">");
    if (view->page > 1)
        s_folder_link (buf, view->user, view->dir, view->glob, view->page - 1, "Previous files");
    if (first + RENDER_ROWS < count) {
        webbuf_add (buf, " ");
        s_folder_link (buf, view->user, view->dir, view->glob, view->page + 1, "Next files");
    }
    webbuf_add (buf, "</nav></section>\n");
    zlistx_destroy (&files);
}

static void
s_peers (webbuf_t *buf, model_t *model)
{
    zlistx_t *users = model_users (model);
    webbuf_printf (buf, "<h2 id=\"peers-h\">Online <small>%zu</small></h2><ul>",
                   zlistx_size (users));
    for (const char *user = (const char *) zlistx_first (users); user;
         user = (const char *) zlistx_next (users)) {
        size_t files = model_user_files (model, user);
        webbuf_add (buf, "<li data-user=\"");
        webbuf_html (buf, user);
        webbuf_add (buf, "\">");
        webbuf_html (buf, user);
        webbuf_printf (buf, " <small>%zu file%s</small></li>", files, files == 1? "": "s");
    }
    webbuf_add (buf, "</ul>");
    zlistx_destroy (&users);
}

static void
s_body (webbuf_t *buf, model_t *model, const render_view_t *view)
{
    if (view->user)
        s_folder_page (buf, model, view);
    else
        s_listing (buf, model, view);
}

char *
render_page (model_t *model, downloads_t *downloads, hub_t *hub, const render_view_t *view)
{
    webbuf_t buf;
    webbuf_init (&buf);
    s_head (&buf);
    char *banner = hub_state_text (hub);
    webbuf_printf (&buf, "<body data-hub=\"%llu\"><header><h1>fshare</h1>"
                   "<p>the team's files, live</p></header>\n", (unsigned long long) hub_last (hub));
    webbuf_printf (&buf, "<div id=\"banner\" role=\"status\" aria-live=\"polite\"%s>",
                   *banner? "": " hidden");
    webbuf_html (&buf, banner);
    webbuf_add (&buf, "</div>\n<main>\n<section id=\"peers\" aria-labelledby=\"peers-h\">");
    free (banner);
    model_lock (model);
    s_peers (&buf, model);
    webbuf_add (&buf, "</section>\n<section id=\"downloads\" aria-labelledby=\"dl-h\">");
    downloads_lock (downloads);
    render_downloads (&buf, downloads);
    downloads_unlock (downloads);
    webbuf_add (&buf, "</section>\n<section id=\"files\" aria-labelledby=\"files-h\">"
                      "<h2 id=\"files-h\">Files</h2>\n<form id=\"filter\" role=\"search\" "
                      "method=\"get\" action=\"/\"><label for=\"q\">Filter (glob, as "
                      "<code>ls --all</code>)</label> <input id=\"q\" name=\"q\" type=\"search\" "
                      "autocomplete=\"off\" placeholder=\"*.pdf\" value=\"");
    webbuf_html (&buf, view->glob? view->glob: "");
    webbuf_add (&buf, "\"> <button type=\"submit\">Filter</button></form>\n<div id=\"listing\">");
    s_body (&buf, model, view);
    model_unlock (model);
    webbuf_add (&buf, "</div></section>\n</main></body></html>\n");
    return webbuf_take (&buf, NULL);
}

static void
s_json_field (webbuf_t *out, const char *name, webbuf_t *html, bool last)
{
    char *text = webbuf_take (html, NULL);
    webbuf_printf (out, "\"%s\":", name);
    webbuf_json (out, text);
    webbuf_add (out, last? "": ",");
    free (text);
}

char *
render_all_json (model_t *model, downloads_t *downloads, hub_t *hub, const render_view_t *view)
{
    webbuf_t out, part;
    webbuf_init (&out);
    webbuf_init (&part);
    uint64_t hub_at = hub_last (hub);
    webbuf_add (&out, "{");
    model_lock (model);
    s_peers (&part, model);
    s_json_field (&out, "peers", &part, false);
    s_body (&part, model, view);
    model_unlock (model);
    s_json_field (&out, "listing", &part, false);
    downloads_lock (downloads);
    render_downloads (&part, downloads);
    downloads_unlock (downloads);
    s_json_field (&out, "downloads", &part, false);
    webbuf_printf (&out, "\"hub\":%llu}", (unsigned long long) hub_at);
    return webbuf_take (&out, NULL);
}

char *
render_group_json (model_t *model, const char *user, const char *dir, const char *glob, bool open)
{
    webbuf_t out, part;
    webbuf_init (&out);
    webbuf_init (&part);
    model_lock (model);
    zlistx_t *files = model_files (model, user, glob, dir, false);
    if (zlistx_size (files))
        s_group (&part, model, user, dir, files, glob, open, 0);
    zlistx_destroy (&files);
    model_unlock (model);
    webbuf_add (&out, "{");
    s_json_field (&out, "html", &part, true);
    webbuf_add (&out, "}");
    return webbuf_take (&out, NULL);
}

char *
render_peers_json (model_t *model, const char *glob)
{
    webbuf_t out, part;
    webbuf_init (&out);
    webbuf_init (&part);
    webbuf_add (&out, "{\"counts\":{");
    model_lock (model);
    s_peers (&part, model);
    zlistx_t *users = model_users (model);
    const char *separator = "";
    bool filtered = glob && *glob;
    size_t total = 0;
    for (const char *user = (const char *) zlistx_first (users); user;
         user = (const char *) zlistx_next (users)) {
        size_t files = model_user_files (model, user);
        if (filtered) {
            zlistx_t *matching = model_files (model, user, glob, NULL, false);
            files = zlistx_size (matching);
            zlistx_destroy (&matching);
        }
        total += files;
        webbuf_add (&out, separator);
        webbuf_json (&out, user);
        webbuf_printf (&out, ":\"%zu file%s\"", files, files == 1? "": "s");
        separator = ",";
    }
    zlistx_destroy (&users);
    model_unlock (model);
    webbuf_add (&out, "},");
    //  The listing's "N files match." as the filter's matches change
    if (filtered)
        webbuf_printf (&out, "\"match\":\"%zu file%s match.\",", total, total == 1? "": "s");
    s_json_field (&out, "html", &part, true);
    webbuf_add (&out, "}");
    return webbuf_take (&out, NULL);
}

char *
render_downloads_json (downloads_t *downloads)
{
    webbuf_t out, part;
    webbuf_init (&out);
    webbuf_init (&part);
    downloads_lock (downloads);
    render_downloads (&part, downloads);
    downloads_unlock (downloads);
    webbuf_add (&out, "{");
    s_json_field (&out, "html", &part, true);
    webbuf_add (&out, "}");
    return webbuf_take (&out, NULL);
}
