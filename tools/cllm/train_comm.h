/* train_comm.h — the communicator `cllm train` hands the trainer: MPI's when this cllm was built with `make MPI=1`
 * and runs under mpirun with more than one process (tools/cllm/mpi/train_comm_mpi.c), else none (train_comm.c). */
#ifndef CLLM_TRAIN_COMM_H
#define CLLM_TRAIN_COMM_H

#include "cllm_train.h"

/* Starts MPI when running under mpirun; the communicator for cllm_train_opts.comm, or NULL for one process. */
const cllm_comm *cli_comm_open(int *argc, char ***argv);
/* Ends MPI (after the run, on every rank); a no-op without it. */
void cli_comm_close(void);

#endif
