/* config.h — config.json into gpt_config. */
#ifndef GPT_CONFIG_H
#define GPT_CONFIG_H

#include "internal.h"

/* Reads DIR/config.json. Every setting this code does not implement is
 * refused by name (GPT_ERR_UNSUPPORTED), never ignored. */
gpt_status config_load(gpt_config *cfg, const char *dir, char *err, size_t err_len);

/* The largest MLP width accepted: 4 x the largest n_embd (65536), so
 * GPT-2's default n_inner = 4 n_embd always fits; about 5 x the widest real
 * model's (Llama-3.1-405B: 53248; Qwen2.5-72B: 29568; Llama-3-70B: 28672). */
#define CONFIG_MAX_N_INNER (4 * 65536)

#endif
