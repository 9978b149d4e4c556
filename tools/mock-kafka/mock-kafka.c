/*
 * mock-kafka: a Kafka-protocol broker for tests, from librdkafka's mock cluster (librdkafka-dev).
 *
 *   mock-kafka [-b BROKERS] TOPIC[:PARTITIONS] ...
 *
 * Creates the topics up front (kafkajs' admin createTopics does not work against the mock cluster),
 * prints one line "BOOTSTRAP <host:port,...>" on stdout, then runs until stdin closes (so it dies with
 * the test process that started it), or SIGTERM/SIGINT. The brokers listen on 127.0.0.1 only.
 * Build: gcc -O2 -o mock-kafka mock-kafka.c -lrdkafka
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop = 0;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  int brokers = 1;
  int first = 1;
  if (argc > 2 && strcmp(argv[1], "-b") == 0) {
    brokers = atoi(argv[2]);
    first = 3;
  }
  if (brokers < 1 || brokers > 16) {
    fprintf(stderr, "mock-kafka: -b needs 1 to 16 brokers\n");
    return 2;
  }
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The mock cluster needs a client handle to live in; it is never used to produce. */
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "mock-kafka: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "mock-kafka: rd_kafka_mock_cluster_new failed\n");
    return 1;
  }
  for (int i = first; i < argc; i++) {
    char name[256];
    int partitions = 1;
    const char *colon = strchr(argv[i], ':');
    size_t n = colon ? (size_t)(colon - argv[i]) : strlen(argv[i]);
    if (n == 0 || n >= sizeof name) {
      fprintf(stderr, "mock-kafka: bad topic argument \"%s\" (expected NAME[:PARTITIONS])\n", argv[i]);
      return 2;
    }
    memcpy(name, argv[i], n);
    name[n] = 0;
    if (colon) partitions = atoi(colon + 1);
    if (partitions < 1) {
      fprintf(stderr, "mock-kafka: topic %s needs at least 1 partition\n", name);
      return 2;
    }
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, name, partitions, 1);
    if (err) {
      fprintf(stderr, "mock-kafka: cannot create topic %s: %s\n", name, rd_kafka_err2str(err));
      return 1;
    }
  }
  printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  char buf[256];
  while (!stop) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    int r = poll(&p, 1, 200);
    if (r < 0 && errno != EINTR) break;
    if (r > 0) {
      ssize_t got = read(0, buf, sizeof buf);
      if (got <= 0) break; /* stdin closed: the parent is gone */
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
