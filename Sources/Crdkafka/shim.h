#ifndef SLUICE_CRDKAFKA_SHIM_H
#define SLUICE_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>

/// `rd_kafka_producev` is variadic and cannot be called from Swift: this fixed-arity wrapper
/// copies key and value (RD_KAFKA_MSG_F_COPY), takes ownership of `headers` on success,
/// and carries `opaque` to the delivery report callback.
static inline rd_kafka_resp_err_t sluice_produce(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t partition,
                                                 const void *key, size_t key_len,
                                                 const void *value, size_t value_len,
                                                 rd_kafka_headers_t *headers, int64_t timestamp_ms,
                                                 void *opaque) {
    return rd_kafka_producev(rk,
                             RD_KAFKA_V_RKT(rkt),
                             RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY((void *)key, key_len),
                             RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_HEADERS(headers),
                             RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                             RD_KAFKA_V_OPAQUE(opaque),
                             RD_KAFKA_V_END);
}

#if defined(__linux__)
#include <pthread.h>
/// glibc declares `pthread_setname_np` only under `_GNU_SOURCE`, which the C library as Swift sees it lacks.
extern int pthread_setname_np(pthread_t thread, const char *name);

/// Names the calling thread for the operating system (Linux keeps 15 bytes of a name).
static inline int sluice_name_current_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}
#endif
#endif
