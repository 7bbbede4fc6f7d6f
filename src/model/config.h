/* config.h — config.json into gpt_config. */
#ifndef GPT_CONFIG_H
#define GPT_CONFIG_H

#include "internal.h"

/* Reads DIR/config.json. Every setting this code does not implement is
 * refused by name (GPT_ERR_UNSUPPORTED), never ignored. */
gpt_status config_load(gpt_config *cfg, const char *dir, char *err, size_t err_len);

#endif
