/* cli_generate.c — placeholder until the subcommands land: refuses to run. */
#include "cli.h"
int cli_generate(int argc, char **argv) { (void)argc; cli_error("'%s' is not built yet", argv[0]); return EXIT_RUNTIME; }
int cli_logits(int argc, char **argv) { (void)argc; cli_error("'%s' is not built yet", argv[0]); return EXIT_RUNTIME; }
int cli_perplexity(int argc, char **argv) { (void)argc; cli_error("'%s' is not built yet", argv[0]); return EXIT_RUNTIME; }
int cli_info_cmd(int argc, char **argv) { (void)argc; cli_error("'%s' is not built yet", argv[0]); return EXIT_RUNTIME; }
int cli_bench(int argc, char **argv) { (void)argc; cli_error("'%s' is not built yet", argv[0]); return EXIT_RUNTIME; }
