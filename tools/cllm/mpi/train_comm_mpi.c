/* train_comm_mpi.c — `cllm train`'s communicator over MPI (the MPI build only): the trainer's cllm_comm functions
 * as the fixed-order collectives of comm_mpi.c. */
#include <stdlib.h>

#include "cli.h"
#include "comm_mpi.h"
#include "train_comm.h"

static cli_mpi *mpi;  /* MPI is one per process: so is its communicator */
static cllm_comm comm;

static int sum_f32(void *ctx, float *data, size_t n, cllm_error *err) { return cli_mpi_allreduce_f32(ctx, data, n, err); }
static int sum_f64(void *ctx, double *data, size_t n, cllm_error *err) { return cli_mpi_allreduce_f64(ctx, data, n, err); }
static int broadcast(void *ctx, void *data, size_t bytes, int root, cllm_error *err) {
    return cli_mpi_broadcast(ctx, data, bytes, root, err);
}
static int barrier(void *ctx, cllm_error *err) { return cli_mpi_barrier(ctx, err); }
static int allgather(void *ctx, float *data, const size_t *bounds, cllm_error *err) {
    return cli_mpi_allgather_f32(ctx, data, bounds, err);
}
static int gather(void *ctx, const float *part, float *full, const size_t *bounds, cllm_error *err) {
    return cli_mpi_gather_f32(ctx, part, full, bounds, err);
}

static int p2p_send(void *ctx, const float *data, size_t n, int to, int tag, cllm_error *err) {
    return cli_mpi_send_f32(ctx, data, n, to, tag, err);
}
static int p2p_recv(void *ctx, float *data, size_t n, int from, int tag, cllm_error *err) {
    return cli_mpi_recv_f32(ctx, data, n, from, tag, err);
}

const cllm_comm *cli_comm_open(int *argc, char ***argv) {
    /* Only under a launcher: a plain `build-mpi/cllm train` stays one process and never starts MPI. */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE")) return NULL;
    if (!(mpi = cli_mpi_init(argc, argv))) cli_die(2, "train: MPI did not start");
    if (cli_mpi_size(mpi) == 1) return NULL;
    comm = (cllm_comm){.ctx = mpi, .rank = cli_mpi_rank(mpi), .size = cli_mpi_size(mpi), .allreduce_sum = sum_f32,
                       .allreduce_sum_f64 = sum_f64, .broadcast = broadcast, .barrier = barrier,
                       .allgather = allgather, .gather = gather, .send = p2p_send, .recv = p2p_recv};
    return &comm;
}

void cli_comm_close(void) {
    cli_mpi_finalize(mpi);
    mpi = NULL;
}
