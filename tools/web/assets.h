/*  assets.h - the page's script and style sheet, built into the program.

    Generated at build time from tools/web/assets/ (see tools/web/embed.cmake):
    the page fetches nothing from the network.
*/
#ifndef ASSETS_H_INCLUDED
#define ASSETS_H_INCLUDED

#include <stddef.h>

extern const unsigned char asset_app_js [];
extern const size_t asset_app_js_size;
extern const unsigned char asset_style_css [];
extern const size_t asset_style_css_size;

#endif
