/* train_comm.c — one process: no communicator (the MPI build has tools/cllm/mpi/train_comm_mpi.c instead). */
#include "train_comm.h"

#ifndef CLLM_MPI
const cllm_comm *cli_comm_open(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return NULL;
}

void cli_comm_close(void) {}
#endif
