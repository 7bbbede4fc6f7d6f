/* cli_tokenize.c — placeholder until the subcommands land: refuses to run. */
#include "cli.h"
int cli_tokenize(int argc, char **argv) { (void)argc; cli_error("'%s' is not built yet", argv[0]); return EXIT_RUNTIME; }
int cli_detokenize(int argc, char **argv) { (void)argc; cli_error("'%s' is not built yet", argv[0]); return EXIT_RUNTIME; }
