/*
 * relay: consume N messages from one topic and produce them to another with librdkafka's C API.
 *
 * The C baseline for Sluice's relay benchmark: the same consume -> produce hop a Sluice node makes, with nothing
 * in between, so the Swift runtime's throughput can be compared with C's on the same broker.
 *
 *   relay -b brokers -g group -i input_topic -o output_topic -n count [-w fetch_wait_ms] [-X name=value]...
 *
 * Key, value and headers are relayed; offsets are auto-committed. After N messages the producer is flushed and
 * the relay prints "relayed N in X.XXX s", timed from the first consumed message (so the consumer group join is
 * not counted) to the end of the flush, when every output is acknowledged (acks=all). `-X` sets a librdkafka property
 * on both clients (after the built-in ones, so it can override them), as `sluice worker -X` does.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

static volatile sig_atomic_t running = 1;
static long delivery_failures = 0;

static void on_signal(int sig) {
    (void)sig;
    running = 0;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s -b brokers -g group -i input_topic -o output_topic -n count [-w fetch_wait_ms]\n"
            "       [-X name=value]...\n", argv0);
    exit(2);
}

/* Sets one property or exits with librdkafka's explanation. */
static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
    char err[512];
    if (rd_kafka_conf_set(conf, name, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "relay: %s=%s: %s\n", name, value, err);
        exit(1);
    }
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
    (void)rk;
    (void)opaque;
    if (msg->err) {
        if (delivery_failures++ < 5)
            fprintf(stderr, "relay: delivery failed: %s\n", rd_kafka_err2str(msg->err));
    }
}

/* The `-X name=value` properties, applied to both clients. */
#define MAX_EXTRA 32
static const char *extra[MAX_EXTRA];
static int extra_count = 0;

/* Sets every `-X` property, split at its first '='. */
static void set_extra(rd_kafka_conf_t *conf) {
    for (int i = 0; i < extra_count; i++) {
        char name[256];
        const char *eq = strchr(extra[i], '=');
        size_t length = eq ? (size_t)(eq - extra[i]) : 0;
        if (!eq || length == 0 || length >= sizeof(name)) {
            fprintf(stderr, "relay: -X %s: expected name=value\n", extra[i]);
            exit(2);
        }
        memcpy(name, extra[i], length);
        name[length] = '\0';
        set(conf, name, eq + 1);
    }
}

static rd_kafka_t *new_client(rd_kafka_type_t type, rd_kafka_conf_t *conf) {
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "relay: rd_kafka_new: %s\n", err);
        exit(1);
    }
    return rk;
}

/* Produces a copy of `in` to `out`, waiting for queue space when the producer is full. */
static int relay_one(rd_kafka_t *producer, rd_kafka_topic_t *out, rd_kafka_message_t *in) {
    rd_kafka_headers_t *in_headers = NULL;
    rd_kafka_headers_t *headers = NULL;
    if (rd_kafka_message_headers(in, &in_headers) == RD_KAFKA_RESP_ERR_NO_ERROR)
        headers = rd_kafka_headers_copy(in_headers);

    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            producer, RD_KAFKA_V_RKT(out), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(in->key, in->key_len),
            RD_KAFKA_V_VALUE(in->payload, in->len), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            return 0; /* the producer owns `headers` now */
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && running) {
            rd_kafka_poll(producer, 10);
            continue;
        }
        fprintf(stderr, "relay: produce: %s\n", rd_kafka_err2str(err));
        if (headers)
            rd_kafka_headers_destroy(headers);
        return -1;
    }
}

int main(int argc, char **argv) {
    const char *brokers = NULL, *group = NULL, *input = NULL, *output = NULL;
    long count = -1;
    const char *fetch_wait = "10";

    int opt;
    while ((opt = getopt(argc, argv, "b:g:i:o:n:w:X:h")) != -1) {
        switch (opt) {
        case 'b': brokers = optarg; break;
        case 'g': group = optarg; break;
        case 'i': input = optarg; break;
        case 'o': output = optarg; break;
        case 'n': count = strtol(optarg, NULL, 10); break;
        case 'w': fetch_wait = optarg; break;
        case 'X':
            if (extra_count == MAX_EXTRA)
                usage(argv[0]);
            extra[extra_count++] = optarg;
            break;
        default: usage(argv[0]);
        }
    }
    if (!brokers || !group || !input || !output || count <= 0)
        usage(argv[0]);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    rd_kafka_conf_t *cconf = rd_kafka_conf_new();
    set(cconf, "bootstrap.servers", brokers);
    set(cconf, "group.id", group);
    set(cconf, "max.poll.interval.ms", "10000");
    set(cconf, "session.timeout.ms", "6000");
    set(cconf, "fetch.wait.max.ms", fetch_wait);
    set(cconf, "auto.offset.reset", "earliest");
    set(cconf, "enable.auto.commit", "true");
    set_extra(cconf);
    rd_kafka_t *consumer = new_client(RD_KAFKA_CONSUMER, cconf);
    rd_kafka_poll_set_consumer(consumer);

    rd_kafka_conf_t *pconf = rd_kafka_conf_new();
    set(pconf, "bootstrap.servers", brokers);
    set(pconf, "linger.ms", "5");
    set(pconf, "acks", "all");
    set_extra(pconf);
    rd_kafka_conf_set_dr_msg_cb(pconf, on_delivery);
    rd_kafka_t *producer = new_client(RD_KAFKA_PRODUCER, pconf);
    rd_kafka_topic_t *out = rd_kafka_topic_new(producer, output, NULL);

    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, input, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        fprintf(stderr, "relay: subscribe %s: %s\n", input, rd_kafka_err2str(err));
        return 1;
    }

    double started = now_seconds(), first = 0;
    long relayed = 0;
    int failed = 0;
    while (running && relayed < count && !failed) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(consumer, 100);
        rd_kafka_poll(producer, 0); /* serve delivery reports */
        if (!msg)
            continue;
        if (msg->err) {
            if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "relay: consume: %s\n", rd_kafka_message_errstr(msg));
        } else {
            if (relayed == 0) {
                first = now_seconds();
                fprintf(stderr, "relay: first message after %.3f s (group join)\n", first - started);
            }
            if (relay_one(producer, out, msg) == 0)
                relayed++;
            else
                failed = 1;
        }
        rd_kafka_message_destroy(msg);
    }

    err = rd_kafka_flush(producer, 60 * 1000);
    double elapsed = now_seconds() - first;
    if (err)
        fprintf(stderr, "relay: flush: %s (%d still queued)\n", rd_kafka_err2str(err), rd_kafka_outq_len(producer));

    if (relayed > 0)
        printf("relayed %ld in %.3f s (%.0f msg/s)\n", relayed, elapsed, relayed / elapsed);
    else
        printf("relayed 0\n");
    if (delivery_failures)
        fprintf(stderr, "relay: %ld deliveries failed\n", delivery_failures);

    rd_kafka_consumer_close(consumer); /* commits the consumed offsets */
    rd_kafka_destroy(consumer);
    rd_kafka_topic_destroy(out);
    rd_kafka_destroy(producer);

    return (relayed == count && !err && !delivery_failures) ? 0 : 1;
}
