/* comm_mpi.c — MPI for the cllm CLI: start/stop and the fixed-order collectives of comm_mpi.h.
 *
 * Why not MPI_Allreduce: MPI leaves the order in which an all-reduce adds the ranks' values to the implementation,
 * and OpenMPI picks its algorithm (ring, recursive doubling, ...) by message size and rank count, so float sums
 * could differ with the bucket size, with N, and in principle between ranks. Here every element is summed by one
 * rank, in rank order, and that result is copied to the others: a reduce-scatter (MPI_Alltoallv: chunk r of every
 * rank's bucket goes to rank r, which adds the N pieces in order 0..N-1) then an all-gather. It moves the same
 * 2(N-1)/N of the buffer per rank as a ring all-reduce. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm_mpi.h"

struct cli_mpi {
    MPI_Comm comm;     /* a duplicate of MPI_COMM_WORLD with errors returned */
    int rank, size;
    size_t bucket;     /* elements per bucket */
    float *scratch;    /* [bucket/size + 1] per rank: the N pieces this rank sums */
    int *counts, *displs, *rcounts, *rdispls; /* [size] each, for the v-collectives */
    MPI_Request *sends; /* [n_sends] point-to-point sends in flight, and their copies of the data */
    float **send_bufs;
    int n_sends, cap_sends;
};

static int mpi_failed(int rc, const char *what, cllm_error *err) {
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return cllm_error_set(err, CLLM_ERR_IO, "%s failed: %.*s", what, len, msg);
}
#define MPI_CHECK(call, what) do { int rc_ = (call); if (rc_ != MPI_SUCCESS) return mpi_failed(rc_, what, err); } while (0)

static int alloc_scratch(cli_mpi *c) {
    free(c->scratch);
    c->scratch = malloc(sizeof(float) * (c->bucket / (size_t)c->size + 1) * (size_t)c->size);
    return c->scratch ? 0 : -1;
}

cli_mpi *cli_mpi_init(int *argc, char ***argv) {
    if (MPI_Init(argc, argv) != MPI_SUCCESS) return NULL;
    cli_mpi *c = calloc(1, sizeof *c);
    if (!c) { MPI_Finalize(); return NULL; }
    MPI_Comm_dup(MPI_COMM_WORLD, &c->comm);
    MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(c->comm, &c->rank);
    MPI_Comm_size(c->comm, &c->size);
    c->bucket = (size_t)1 << 20;
    size_t N = (size_t)c->size;
    c->counts = malloc(4 * N * sizeof(int));
    if (!c->counts || alloc_scratch(c)) { cli_mpi_finalize(c); return NULL; }
    c->displs = c->counts + N;
    c->rcounts = c->counts + 2 * N;
    c->rdispls = c->counts + 3 * N;
    return c;
}

/* Frees the copies of completed sends; with wait, waits for all of them first. */
static void reap_sends(cli_mpi *c, int wait) {
    int kept = 0;
    for (int i = 0; i < c->n_sends; i++) {
        int done = 0;
        if (wait) MPI_Wait(&c->sends[i], MPI_STATUS_IGNORE), done = 1;
        else MPI_Test(&c->sends[i], &done, MPI_STATUS_IGNORE);
        if (done) free(c->send_bufs[i]);
        else c->sends[kept] = c->sends[i], c->send_bufs[kept++] = c->send_bufs[i];
    }
    c->n_sends = kept;
}

void cli_mpi_finalize(cli_mpi *c) {
    if (!c) return;
    reap_sends(c, 1);
    free(c->sends);
    free(c->send_bufs);
    free(c->scratch);
    free(c->counts);
    MPI_Comm_free(&c->comm);
    free(c);
    MPI_Finalize();
}

int cli_mpi_rank(const cli_mpi *c) { return c->rank; }
int cli_mpi_size(const cli_mpi *c) { return c->size; }

void cli_mpi_set_bucket(cli_mpi *c, size_t elements) {
    size_t old = c->bucket;
    c->bucket = elements < (size_t)c->size ? (size_t)c->size : elements;
    if (c->bucket > (size_t)1 << 30) c->bucket = (size_t)1 << 30; /* int counts */
    if (alloc_scratch(c)) c->bucket = old, alloc_scratch(c);
}

/* Chunk r of a bucket of len elements: [displs[r], displs[r] + counts[r]), as even as integers allow. */
static void split(cli_mpi *c, size_t len) {
    size_t N = (size_t)c->size;
    for (size_t r = 0; r < N; r++) {
        c->displs[r] = (int)(len * r / N);
        c->counts[r] = (int)(len * (r + 1) / N) - c->displs[r];
    }
}

int cli_mpi_allreduce_f32(cli_mpi *c, float *buf, size_t n, cllm_error *err) {
    int N = c->size, me = c->rank;
    if (N == 1) return 0;
    for (size_t off = 0; off < n; off += c->bucket) {
        size_t len = n - off < c->bucket ? n - off : c->bucket;
        split(c, len);
        int mine = c->counts[me];
        for (int r = 0; r < N; r++) { c->rcounts[r] = mine; c->rdispls[r] = r * mine; }
        MPI_CHECK(MPI_Alltoallv(buf + off, c->counts, c->displs, MPI_FLOAT, c->scratch, c->rcounts, c->rdispls,
                                MPI_FLOAT, c->comm), "gradient reduce-scatter (MPI_Alltoallv)");
        float *dst = buf + off + c->displs[me];
        memcpy(dst, c->scratch, sizeof(float) * (size_t)mine); /* v_0 exactly: no 0 + v_0 (which turns -0 to +0) */
        for (int r = 1; r < N; r++) {
            const float *src = c->scratch + (size_t)r * mine;
            for (int i = 0; i < mine; i++) dst[i] += src[i];
        }
        MPI_CHECK(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf + off, c->counts, c->displs, MPI_FLOAT,
                                 c->comm), "gradient all-gather (MPI_Allgatherv)");
    }
    return 0;
}

/* counts and displs from explicit bounds (bounds[0..N]) */
static int split_at(cli_mpi *c, const size_t *bounds, const char *what, cllm_error *err) {
    if (bounds[c->size] >= (size_t)1 << 31) /* MPI's int counts and displacements */
        return cllm_error_set(err, CLLM_ERR_ARG, "%s of %zu floats: more than 2^31", what, bounds[c->size]);
    for (int r = 0; r < c->size; r++) {
        c->displs[r] = (int)bounds[r];
        c->counts[r] = (int)(bounds[r + 1] - bounds[r]);
    }
    return 0;
}

int cli_mpi_allgather_f32(cli_mpi *c, float *buf, const size_t *bounds, cllm_error *err) {
    if (c->size == 1) return 0;
    if (split_at(c, bounds, "all-gather", err)) return err ? err->code : 1;
    MPI_CHECK(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, c->counts, c->displs, MPI_FLOAT, c->comm),
              "weight all-gather (MPI_Allgatherv)");
    return 0;
}

int cli_mpi_gather_f32(cli_mpi *c, const float *part, float *full, const size_t *bounds, cllm_error *err) {
    if (split_at(c, bounds, "gather", err)) return err ? err->code : 1;
    MPI_CHECK(MPI_Gatherv(part, c->counts[c->rank], MPI_FLOAT, full, c->counts, c->displs, MPI_FLOAT, 0, c->comm),
              "optimizer-state gather (MPI_Gatherv)");
    return 0;
}

int cli_mpi_allreduce_f64(cli_mpi *c, double *buf, size_t n, cllm_error *err) {
    if (c->size == 1) return 0;
    if (n > 64) return cllm_error_set(err, CLLM_ERR_ARG, "cli_mpi_allreduce_f64: %zu values (at most 64)", n);
    double *all = malloc(sizeof(double) * n * (size_t)c->size);
    if (!all) return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory");
    int rc = MPI_Allgather(buf, (int)n, MPI_DOUBLE, all, (int)n, MPI_DOUBLE, c->comm);
    if (rc == MPI_SUCCESS) {
        for (size_t i = 0; i < n; i++) {
            double s = all[i];
            for (int r = 1; r < c->size; r++) s += all[(size_t)r * n + i];
            buf[i] = s;
        }
    }
    free(all);
    return rc == MPI_SUCCESS ? 0 : mpi_failed(rc, "MPI_Allgather", err);
}

int cli_mpi_broadcast(cli_mpi *c, void *buf, size_t bytes, int root, cllm_error *err) {
    for (size_t off = 0; off < bytes; off += (size_t)1 << 30) {
        size_t len = bytes - off < (size_t)1 << 30 ? bytes - off : (size_t)1 << 30;
        MPI_CHECK(MPI_Bcast((char *)buf + off, (int)len, MPI_BYTE, root, c->comm), "MPI_Bcast");
    }
    return 0;
}

int cli_mpi_send_f32(cli_mpi *c, const float *buf, size_t n, int to, int tag, cllm_error *err) {
    if (n >= (size_t)1 << 31) return cllm_error_set(err, CLLM_ERR_ARG, "send of %zu floats: more than 2^31", n);
    reap_sends(c, 0);
    if (c->n_sends == c->cap_sends) {
        int cap = c->cap_sends ? 2 * c->cap_sends : 8;
        MPI_Request *r = realloc(c->sends, sizeof *r * (size_t)cap);
        if (r) c->sends = r;
        float **b = r ? realloc(c->send_bufs, sizeof *b * (size_t)cap) : NULL;
        if (!b) return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for a send");
        c->send_bufs = b;
        c->cap_sends = cap;
    }
    float *copy = malloc(sizeof(float) * (n ? n : 1));
    if (!copy) return cllm_error_set(err, CLLM_ERR_NOMEM, "out of memory for a send of %zu floats", n);
    memcpy(copy, buf, sizeof(float) * n);
    int rc = MPI_Isend(copy, (int)n, MPI_FLOAT, to, tag, c->comm, &c->sends[c->n_sends]);
    if (rc != MPI_SUCCESS) {
        free(copy);
        return mpi_failed(rc, "MPI_Isend", err);
    }
    c->send_bufs[c->n_sends++] = copy;
    return 0;
}

int cli_mpi_recv_f32(cli_mpi *c, float *buf, size_t n, int from, int tag, cllm_error *err) {
    if (n >= (size_t)1 << 31) return cllm_error_set(err, CLLM_ERR_ARG, "receive of %zu floats: more than 2^31", n);
    MPI_CHECK(MPI_Recv(buf, (int)n, MPI_FLOAT, from, tag, c->comm, MPI_STATUS_IGNORE), "MPI_Recv");
    return 0;
}

int cli_mpi_barrier(cli_mpi *c, cllm_error *err) {
    MPI_CHECK(MPI_Barrier(c->comm), "MPI_Barrier");
    return 0;
}

int cli_mpi_allreduce_native_f32(cli_mpi *c, float *buf, size_t n, cllm_error *err) {
    for (size_t off = 0; off < n; off += c->bucket) {
        size_t len = n - off < c->bucket ? n - off : c->bucket;
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)len, MPI_FLOAT, MPI_SUM, c->comm), "MPI_Allreduce");
    }
    return 0;
}

_Noreturn void cli_mpi_abort(int code) {
    MPI_Abort(MPI_COMM_WORLD, code);
    exit(code); /* MPI_Abort does not return; this keeps _Noreturn honest */
}

int cli_mpi_world(int *rank, int *size) {
    int up = 0, down = 0;
    MPI_Initialized(&up);
    MPI_Finalized(&down);
    if (!up || down) return 0;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return 1;
}
