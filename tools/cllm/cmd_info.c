/* cmd_info.c — placeholder until the model file lands. */
#include "cli.h"

int cmd_info(int argc, char **argv) {
    const char *model = NULL;
    cli_opt opts[] = {{"model", OPT_STR, &model, 0, 0, NULL}};
    cli_parse(argc, argv, opts, 1, "usage: cllm info --model FILE\n");
    if (!model) cli_die(2, "info: --model FILE is required");
    cli_die(2, "info: model files are not readable yet");
}
