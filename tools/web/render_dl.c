/*  render_dl.c - the downloads panel of the page. See render.h.

    One entry per job: what it fetches, a progress bar while it runs with
    its cancel button, then the saved files (links by job and item number,
    never by path) or the reason it failed.
*/
#include "render.h"

static const char *
s_base (const char *path)
{
    const char *slash = strrchr (path, '/');
    return slash? slash + 1: path;
}

static void
s_saved_link (webbuf_t *buf, download_job_t *job, size_t index)
{
    download_item_t *item = &job->items [index];
    const char *name = job->folder? item->path: s_base (item->saved);
    webbuf_printf (buf, "<a class=\"save\" href=\"/saved?job=%llu&amp;item=%zu\" download>Save ",
                   (unsigned long long) job->id, index);
    webbuf_shown (buf, name);
    webbuf_printf (buf, "</a> <a class=\"open\" href=\"/saved?job=%llu&amp;item=%zu&amp;open=1\" "
                   "target=\"_blank\" rel=\"noopener\" aria-label=\"Open ", (unsigned long long) job->id,
                   index);
    webbuf_html (buf, name);
    webbuf_add (buf, "\">Open</a>");
    if (item->sha256 && *item->sha256)
        webbuf_printf (buf, " <small title=\"verified SHA-256 %s\">verified %.12s</small>",
                       item->sha256, item->sha256);
}

static void
s_job (webbuf_t *buf, download_job_t *job)
{
    size_t running, done, failed, cancelled;
    downloads_counts (job, &running, &done, &failed, &cancelled);
    uint64_t bytes = 0, total = 0;
    for (size_t i = 0; i < job->count; i++) {
        bytes += job->items [i].done;
        total += job->items [i].total;
    }
    const char *state = running? "running": failed? "failed": cancelled? "cancelled": "done";
    webbuf_printf (buf, "<li class=\"job\" data-job=\"%llu\" data-state=\"%s\"><span class=\"what\">",
                   (unsigned long long) job->id, state);
    webbuf_html (buf, job->owner);
    webbuf_add (buf, ": ");
    webbuf_shown (buf, job->folder? (*job->what? job->what: "(all files)"): job->what);
    webbuf_add (buf, job->folder && *job->what? "/</span> ": "</span> ");
    char have [32], all [32];
    fsh_human_size (bytes, have, sizeof have);
    fsh_human_size (total, all, sizeof all);
    if (running) {
        webbuf_printf (buf, "<progress max=\"%llu\" value=\"%llu\" aria-label=\"progress\"></progress> "
                       "<span class=\"state\">%s of %s", (unsigned long long) (total? total: 1),
                       (unsigned long long) bytes, have, total? all: "?");
        if (job->folder)
            webbuf_printf (buf, ", %zu of %zu files", done, job->count);
        webbuf_printf (buf, "</span> <form method=\"post\" action=\"/cancel\" class=\"act\">"
                       "<input type=\"hidden\" name=\"job\" value=\"%llu\"><button type=\"submit\" "
                       "aria-label=\"Cancel the download of ", (unsigned long long) job->id);
        webbuf_html (buf, job->what);
        webbuf_add (buf, "\">Cancel</button></form>");
    }
    else
        webbuf_printf (buf, "<span class=\"state\">%s</span> ", state);
    if (job->folder && (done || failed)) {
        webbuf_printf (buf, "<details><summary>%zu of %zu files saved%s</summary><ul>", done,
                       job->count, failed? ", some failed": "");
        for (size_t i = 0; i < job->count; i++) {
            download_item_t *item = &job->items [i];
            if (item->state == ITEM_DONE) {
                webbuf_add (buf, "<li>");
                s_saved_link (buf, job, i);
                webbuf_add (buf, "</li>");
            }
            else
            if (item->state == ITEM_FAILED) {
                webbuf_add (buf, "<li class=\"error\">");
                webbuf_shown (buf, item->path);
                webbuf_add (buf, ": ");
                webbuf_shown (buf, item->error? item->error: "failed");
                webbuf_add (buf, "</li>");
            }
        }
        webbuf_add (buf, "</ul></details>");
    }
    else
    if (!job->folder && done)
        s_saved_link (buf, job, 0);
    else
    if (!job->folder && failed && job->items [0].error) {
        webbuf_add (buf, "<span class=\"error\">");
        webbuf_shown (buf, job->items [0].error);
        webbuf_add (buf, "</span>");
    }
    webbuf_add (buf, "</li>\n");
}

void
render_downloads (webbuf_t *buf, downloads_t *downloads)
{
    webbuf_add (buf, "<h2 id=\"dl-h\">Downloads</h2>");
    zlistx_t *jobs = downloads_jobs (downloads);
    if (zlistx_size (jobs) == 0) {
        webbuf_add (buf, "<p class=\"none\">Nothing downloaded yet: each file and folder has "
                         "a download button.</p>");
        return;
    }
    webbuf_add (buf, "<ul class=\"jobs\">");
    for (download_job_t *job = (download_job_t *) zlistx_first (jobs); job;
         job = (download_job_t *) zlistx_next (jobs))
        s_job (buf, job);
    webbuf_add (buf, "</ul>");
}
