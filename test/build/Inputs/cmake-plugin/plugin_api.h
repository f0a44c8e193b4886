/* plugin_api.h: what the plugin exports, as the symbol `plugin_api`. */
#ifndef PLUGIN_API_H
#define PLUGIN_API_H

struct plugin_api {
    async int (*compute)(int x);
};

#endif
