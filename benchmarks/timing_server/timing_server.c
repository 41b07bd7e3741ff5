/*
 * timing_server: an OpenAI-compatible streaming server with exactly known timing, for measuring clients.
 *
 * Every streaming request gets its first content chunk TTFT after the request was fully received, then one
 * content chunk every ITL, N tokens in all (max_tokens, else --tokens), then a usage chunk (when
 * stream_options.include_usage is true) and `data: [DONE]`. HTTP/1.1 keep-alive with chunked
 * transfer-encoding, as uvicorn/vLLM answer.
 *
 * One thread, epoll, a binary heap of deadlines and an absolute timerfd: the server must never be the
 * bottleneck, so it keeps per-chunk work to one snprintf and one send. It records how late each chunk left
 * against its schedule (1 us histogram) and reports p50/p99/max at GET /stats (add ?reset=1 to start a new
 * window) and on SIGTERM/SIGINT (stderr, and --stats-file PATH as JSON).
 *
 * Routes: POST /v1/completions, POST /v1/chat/completions, GET /v1/models, GET /health, GET /stats.
 * Build: gcc -O2 -o timing_server timing_server.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define HIST_US 200000 /* 1 us buckets up to 200 ms; later chunks go to the overflow count (max kept) */
#define MAX_CONN 65536
#define EV_BATCH 256

typedef struct {
    uint64_t counts[HIST_US];
    uint64_t overflow, n, sum_ns, max_ns;
} hist_t;

typedef enum { ST_READING, ST_STREAMING, ST_WAIT_FULL } state_t;

typedef struct {
    int fd;
    uint32_t gen;       /* bumps on close, so stale heap entries are ignored */
    state_t state;
    char *in; size_t in_len, in_cap;
    char *out; size_t out_len, out_off, out_cap;
    int keep_alive, chat, include_usage, stream;
    int tokens_total, tokens_sent, prompt_tokens;
    uint64_t t_received, next_due;
    uint64_t req_id;
    int want_write;
} conn_t;

typedef struct { uint64_t due; int fd; uint32_t gen; } timer_t_;

static conn_t *conns[MAX_CONN];
static timer_t_ *heap; static size_t heap_len, heap_cap;
static hist_t hist_all, hist_first;
static uint64_t backpressured_chunks, streams_done, streams_aborted, requests_total, req_counter;
static uint64_t window_start_ns;
static int epfd, tfd, lfd;
static uint64_t armed_due = 0;
static long ttft_ns = 150000000L, itl_ns = 12000000L;
static int default_tokens = 40;
static const char *model_name = "timing";
static const char *stats_file = NULL;
static volatile sig_atomic_t stop_flag = 0;

static uint64_t now_ns(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void hist_add(hist_t *h, uint64_t late_ns) {
    uint64_t us = late_ns / 1000;
    if (us < HIST_US) h->counts[us]++; else h->overflow++;
    h->n++; h->sum_ns += late_ns;
    if (late_ns > h->max_ns) h->max_ns = late_ns;
}

static double hist_q_us(const hist_t *h, double q) {
    if (!h->n) return 0.0;
    uint64_t target = (uint64_t)(q * (double)(h->n - 1)) + 1, acc = 0;
    for (int i = 0; i < HIST_US; i++) { acc += h->counts[i]; if (acc >= target) return (double)i; }
    return (double)h->max_ns / 1000.0;
}

static int stats_json(char *buf, size_t cap) {
    double win = (double)(now_ns() - window_start_ns) / 1e9;
    return snprintf(buf, cap,
        "{\"chunks\":%llu,\"window_s\":%.3f,\"chunks_per_s\":%.1f,\"requests\":%llu,\"streams_done\":%llu,"
        "\"streams_aborted\":%llu,\"backpressured_chunks\":%llu,"
        "\"lateness_us\":{\"mean\":%.1f,\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,\"p999\":%.0f,\"max\":%.1f,"
        "\"over_200ms\":%llu},"
        "\"first_chunk_lateness_us\":{\"n\":%llu,\"p50\":%.0f,\"p99\":%.0f,\"max\":%.1f},"
        "\"config\":{\"ttft_ms\":%.3f,\"itl_ms\":%.3f,\"tokens\":%d}}",
        (unsigned long long)hist_all.n, win, win > 0 ? (double)hist_all.n / win : 0.0,
        (unsigned long long)requests_total, (unsigned long long)streams_done,
        (unsigned long long)streams_aborted, (unsigned long long)backpressured_chunks,
        hist_all.n ? (double)hist_all.sum_ns / (double)hist_all.n / 1000.0 : 0.0,
        hist_q_us(&hist_all, 0.50), hist_q_us(&hist_all, 0.90), hist_q_us(&hist_all, 0.99),
        hist_q_us(&hist_all, 0.999), (double)hist_all.max_ns / 1000.0, (unsigned long long)hist_all.overflow,
        (unsigned long long)hist_first.n, hist_q_us(&hist_first, 0.50), hist_q_us(&hist_first, 0.99),
        (double)hist_first.max_ns / 1000.0, ttft_ns / 1e6, itl_ns / 1e6, default_tokens);
}

static void stats_reset(void) {
    memset(&hist_all, 0, sizeof hist_all); memset(&hist_first, 0, sizeof hist_first);
    backpressured_chunks = streams_done = streams_aborted = requests_total = 0;
    window_start_ns = now_ns();
}

/* ---- deadline heap ---- */
static void heap_push(uint64_t due, int fd, uint32_t gen) {
    if (heap_len == heap_cap) { heap_cap = heap_cap ? heap_cap * 2 : 1024; heap = realloc(heap, heap_cap * sizeof *heap); }
    size_t i = heap_len++;
    while (i) { size_t p = (i - 1) / 2; if (heap[p].due <= due) break; heap[i] = heap[p]; i = p; }
    heap[i] = (timer_t_){due, fd, gen};
}
static timer_t_ heap_pop(void) {
    timer_t_ top = heap[0], last = heap[--heap_len];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1; if (c >= heap_len) break;
        if (c + 1 < heap_len && heap[c + 1].due < heap[c].due) c++;
        if (heap[c].due >= last.due) break;
        heap[i] = heap[c]; i = c;
    }
    if (heap_len) heap[i] = last;
    return top;
}
static void arm_timer(void) {
    uint64_t due = heap_len ? heap[0].due : 0;
    if (due == armed_due) return;
    struct itimerspec its = {0};
    if (due) { its.it_value.tv_sec = (time_t)(due / 1000000000ULL); its.it_value.tv_nsec = (long)(due % 1000000000ULL); }
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
    armed_due = due;
}

/* ---- connection output ---- */
static void conn_close(conn_t *c, int aborted);

static void out_append(conn_t *c, const char *data, size_t len) {
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len) cap *= 2;
        c->out = realloc(c->out, cap); c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, len); c->out_len += len;
}

/* Send what is queued; returns 0 when everything left, 1 when some is still queued, -1 on error. */
static int flush_out(conn_t *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return -1;
        }
        c->out_off += (size_t)n;
    }
    if (c->out_off == c->out_len) { c->out_off = c->out_len = 0; }
    int pending = c->out_len > 0;
    if (pending != c->want_write) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (pending ? EPOLLOUT : 0), .data.fd = c->fd};
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_write = pending;
    }
    return pending;
}

/* Append one chunked-transfer frame holding an SSE event "data: <payload>\n\n". */
static void out_event(conn_t *c, const char *payload, int plen) {
    char head[16];
    int hl = snprintf(head, sizeof head, "%x\r\n", plen + 8);
    out_append(c, head, (size_t)hl);
    out_append(c, "data: ", 6); out_append(c, payload, (size_t)plen); out_append(c, "\n\n\r\n", 4);
}

static void send_simple(conn_t *c, int status, const char *ctype, const char *body) {
    char head[512]; size_t blen = strlen(body);
    const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" : status == 400 ? "Bad Request" : "Error";
    int hl = snprintf(head, sizeof head,
        "HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %zu\r\nconnection: %s\r\n\r\n",
        status, reason, ctype, blen, c->keep_alive ? "keep-alive" : "close");
    out_append(c, head, (size_t)hl); out_append(c, body, blen);
}

/* ---- tiny request-body scanners (no JSON library: the fields we need are flat) ---- */
static const char *find_key(const char *body, size_t len, const char *key) {
    size_t kl = strlen(key);
    for (const char *p = body; p + kl <= body + len; p++) {
        p = memmem(p, (size_t)(body + len - p), key, kl);
        if (!p) return NULL;
        const char *q = p + kl;
        while (q < body + len && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
        if (q < body + len && *q == ':') {
            q++;
            while (q < body + len && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
            return q;
        }
    }
    return NULL;
}
static long key_int(const char *body, size_t len, const char *key, long dflt) {
    const char *v = find_key(body, len, key);
    if (!v || v >= body + len || !(*v >= '0' && *v <= '9')) return dflt;
    return strtol(v, NULL, 10);
}
static int key_true(const char *body, size_t len, const char *key) {
    const char *v = find_key(body, len, key);
    return v && (size_t)(body + len - v) >= 4 && memcmp(v, "true", 4) == 0;
}
/* Approximate prompt tokens: whitespace-separated words in every value of `key` ("prompt" or "content"). */
static int count_words(const char *body, size_t len, const char *key) {
    int words = 0; const char *p = body, *end = body + len;
    while (p < end) {
        const char *v = find_key(p, (size_t)(end - p), key);
        if (!v || v >= end) break;
        if (*v != '"') { p = v; continue; }
        int in_word = 0;
        for (v++; v < end && *v != '"'; v++) {
            if (*v == '\\' && v + 1 < end) { v++; if (!in_word) { in_word = 1; words++; } continue; }
            int space = (*v == ' ' || *v == '\t' || *v == '\n');
            if (!space && !in_word) words++;
            in_word = !space;
        }
        p = v;
    }
    return words ? words : 1;
}

/* ---- streaming ---- */
static void start_response(conn_t *c) {
    c->req_id = ++req_counter;
    c->tokens_sent = 0;
    c->t_received = now_ns();
    c->next_due = c->t_received + (uint64_t)ttft_ns;
    if (c->stream) {
        char head[256];
        int hl = snprintf(head, sizeof head,
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ntransfer-encoding: chunked\r\n"
            "cache-control: no-cache\r\nconnection: %s\r\n\r\n", c->keep_alive ? "keep-alive" : "close");
        out_append(c, head, (size_t)hl);
        c->state = ST_STREAMING;
        if (flush_out(c) < 0) { conn_close(c, 1); return; }
    } else {
        c->next_due += (uint64_t)itl_ns * (uint64_t)(c->tokens_total > 1 ? c->tokens_total - 1 : 0);
        c->state = ST_WAIT_FULL;
    }
    heap_push(c->next_due, c->fd, c->gen);
}

static void process_requests(conn_t *c);

static void finish_request(conn_t *c) {
    streams_done++;
    c->state = ST_READING;
    int r = flush_out(c);
    if (r < 0) { conn_close(c, 1); return; }
    if (!c->keep_alive && r == 0) { conn_close(c, 0); return; }
    if (c->keep_alive) process_requests(c); /* a pipelined request may already be buffered */
}

static void on_due(conn_t *c, uint64_t due) {
    uint64_t t = now_ns();
    uint64_t late = t > due ? t - due : 0;
    char buf[512]; int n;
    const char *id = c->chat ? "chatcmpl" : "cmpl";
    if (c->state == ST_WAIT_FULL) {
        char text[8 * 4096 + 1]; int tl = 0;
        for (int i = 0; i < c->tokens_total && tl < (int)sizeof text - 8; i++) { memcpy(text + tl, " token", 6); tl += 6; }
        text[tl] = 0;
        char *body = malloc((size_t)tl + 1024);
        if (c->chat)
            n = sprintf(body, "{\"id\":\"%s-%llu\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"%s\","
                "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"length\"}],"
                "\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}}",
                id, (unsigned long long)c->req_id, model_name, text, c->prompt_tokens, c->tokens_total, c->prompt_tokens + c->tokens_total);
        else
            n = sprintf(body, "{\"id\":\"%s-%llu\",\"object\":\"text_completion\",\"created\":0,\"model\":\"%s\","
                "\"choices\":[{\"index\":0,\"text\":\"%s\",\"logprobs\":null,\"finish_reason\":\"length\"}],"
                "\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}}",
                id, (unsigned long long)c->req_id, model_name, text, c->prompt_tokens, c->tokens_total, c->prompt_tokens + c->tokens_total);
        (void)n;
        send_simple(c, 200, "application/json", body);
        free(body);
        hist_add(&hist_all, late); hist_add(&hist_first, late);
        finish_request(c);
        return;
    }
    int backlog = c->out_len > 0; /* earlier bytes still unsent: the client is not reading fast enough */
    int last = c->tokens_sent + 1 >= c->tokens_total;
    const char *fin = last ? "\"length\"" : "null";
    if (c->chat) {
        if (c->tokens_sent == 0) { /* vLLM sends the role in its own chunk right before the first token */
            n = snprintf(buf, sizeof buf, "{\"id\":\"%s-%llu\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                "\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                "\"logprobs\":null,\"finish_reason\":null}]}", id, (unsigned long long)c->req_id, model_name);
            out_event(c, buf, n);
        }
        n = snprintf(buf, sizeof buf, "{\"id\":\"%s-%llu\",\"object\":\"chat.completion.chunk\",\"created\":0,"
            "\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" token\"},\"logprobs\":null,"
            "\"finish_reason\":%s}]}", id, (unsigned long long)c->req_id, model_name, fin);
    } else {
        n = snprintf(buf, sizeof buf, "{\"id\":\"%s-%llu\",\"object\":\"text_completion\",\"created\":0,"
            "\"model\":\"%s\",\"choices\":[{\"index\":0,\"text\":\" token\",\"logprobs\":null,\"finish_reason\":%s}]}",
            id, (unsigned long long)c->req_id, model_name, fin);
    }
    out_event(c, buf, n);
    if (backlog) backpressured_chunks++;
    hist_add(&hist_all, late);
    if (c->tokens_sent == 0) hist_add(&hist_first, late);
    c->tokens_sent++;
    if (last) {
        if (c->include_usage) {
            n = snprintf(buf, sizeof buf, "{\"id\":\"%s-%llu\",\"object\":\"%s\",\"created\":0,\"model\":\"%s\","
                "\"choices\":[],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}}",
                id, (unsigned long long)c->req_id, c->chat ? "chat.completion.chunk" : "text_completion",
                model_name, c->prompt_tokens, c->tokens_total, c->prompt_tokens + c->tokens_total);
            out_event(c, buf, n);
        }
        out_event(c, "[DONE]", 6);
        out_append(c, "0\r\n\r\n", 5);
        finish_request(c);
        return;
    }
    if (flush_out(c) < 0) { conn_close(c, 1); return; }
    c->next_due = due + (uint64_t)itl_ns;
    heap_push(c->next_due, c->fd, c->gen);
}

/* ---- request parsing ---- */
static void handle_request(conn_t *c, const char *method, const char *path, const char *body, size_t blen) {
    requests_total++;
    if (strcmp(method, "POST") == 0 && (strcmp(path, "/v1/completions") == 0 || strcmp(path, "/v1/chat/completions") == 0)) {
        c->chat = strcmp(path, "/v1/chat/completions") == 0;
        long mt = key_int(body, blen, "\"max_tokens\"", -1);
        if (mt < 0) mt = key_int(body, blen, "\"max_completion_tokens\"", default_tokens);
        if (mt < 1) mt = 1;
        if (mt > 4096) mt = 4096;
        c->tokens_total = (int)mt;
        c->stream = key_true(body, blen, "\"stream\"");
        c->include_usage = key_true(body, blen, "\"include_usage\"");
        c->prompt_tokens = count_words(body, blen, c->chat ? "\"content\"" : "\"prompt\"");
        start_response(c);
        return;
    }
    if (strcmp(method, "GET") == 0 && strcmp(path, "/v1/models") == 0) {
        char b[512];
        snprintf(b, sizeof b, "{\"object\":\"list\",\"data\":[{\"id\":\"%s\",\"object\":\"model\",\"created\":0,"
                 "\"owned_by\":\"inferboard-timing-server\",\"max_model_len\":131072}]}", model_name);
        send_simple(c, 200, "application/json", b);
    } else if (strcmp(method, "GET") == 0 && strcmp(path, "/health") == 0) {
        send_simple(c, 200, "application/json", "{\"status\":\"ok\"}");
    } else if (strcmp(method, "GET") == 0 && strncmp(path, "/stats", 6) == 0) {
        char b[2048]; stats_json(b, sizeof b);
        send_simple(c, 200, "application/json", b);
        if (strstr(path, "reset=1")) stats_reset();
    } else {
        send_simple(c, 404, "application/json", "{\"error\":{\"message\":\"not found\",\"code\":404}}");
    }
    requests_total -= (strcmp(path, "/stats") == 0 || strncmp(path, "/stats?", 7) == 0);
}

/* Parse and start every complete request in the input buffer while the connection is idle. */
static void process_requests(conn_t *c) {
    while (c->state == ST_READING && c->fd >= 0) {
        char *hend = memmem(c->in, c->in_len, "\r\n\r\n", 4);
        if (!hend) return;
        size_t hlen = (size_t)(hend - c->in) + 4;
        long clen = 0; int http10 = 0, close_hdr = 0;
        char method[16] = {0}, path[512] = {0}, ver[16] = {0};
        if (sscanf(c->in, "%15s %511s %15s", method, path, ver) != 3) { conn_close(c, 1); return; }
        http10 = strcmp(ver, "HTTP/1.0") == 0;
        for (char *l = memmem(c->in, hlen, "\r\n", 2); l && l + 2 < c->in + hlen; l = memmem(l + 2, (size_t)(c->in + hlen - l - 2), "\r\n", 2)) {
            char *h = l + 2;
            if (strncasecmp(h, "content-length:", 15) == 0) clen = strtol(h + 15, NULL, 10);
            else if (strncasecmp(h, "connection:", 11) == 0) {
                char *v = h + 11; while (*v == ' ') v++;
                if (strncasecmp(v, "close", 5) == 0) close_hdr = 1;
                if (strncasecmp(v, "keep-alive", 10) == 0) http10 = 0;
            }
        }
        if (c->in_len < hlen + (size_t)clen) return; /* body not complete yet */
        c->keep_alive = !(close_hdr || http10);
        char *body = c->in + hlen;
        char saved = body[clen]; /* in buffer always has one spare byte */
        body[clen] = 0;
        handle_request(c, method, path, body, (size_t)clen);
        if (c->fd < 0) return;
        body[clen] = saved;
        size_t used = hlen + (size_t)clen;
        memmove(c->in, c->in + used, c->in_len - used); c->in_len -= used;
        if (c->state == ST_READING) { /* a plain response: send it now */
            int r = flush_out(c);
            if (r < 0 || (!c->keep_alive && r == 0)) { conn_close(c, r < 0); return; }
        }
    }
}

static void conn_close(conn_t *c, int aborted) {
    if (c->fd < 0) return;
    if (aborted && c->state != ST_READING) streams_aborted++;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->gen++; c->fd = -1; c->state = ST_READING;
    c->in_len = c->out_len = c->out_off = 0; c->want_write = 0;
}

static void on_readable(conn_t *c) {
    for (;;) {
        if (c->in_cap - c->in_len < 4097) {
            c->in_cap = c->in_cap ? c->in_cap * 2 : 16384;
            if (c->in_cap > (64u << 20)) { conn_close(c, 1); return; }
            c->in = realloc(c->in, c->in_cap);
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, 0);
        if (n > 0) { c->in_len += (size_t)n; continue; }
        if (n == 0) { conn_close(c, 1); return; }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        conn_close(c, 1); return;
    }
    process_requests(c);
}

static void on_accept(void) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        if (fd >= MAX_CONN) { close(fd); continue; }
        int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_t *c = conns[fd];
        if (!c) { c = calloc(1, sizeof *c); conns[fd] = c; }
        c->fd = fd; c->state = ST_READING; c->in_len = c->out_len = c->out_off = 0; c->want_write = 0;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    }
}

static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static void usage(void) {
    fprintf(stderr, "usage: timing_server [--host H] [--port P] [--ttft-ms F] [--itl-ms F] [--tokens N] "
                    "[--model NAME] [--stats-file PATH]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1"; int port = 8787;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        if (!strcmp(a, "--port")) port = atoi(argv[++i]);
        else if (!strcmp(a, "--host")) host = argv[++i];
        else if (!strcmp(a, "--ttft-ms")) ttft_ns = (long)(atof(argv[++i]) * 1e6);
        else if (!strcmp(a, "--itl-ms")) itl_ns = (long)(atof(argv[++i]) * 1e6);
        else if (!strcmp(a, "--tokens")) default_tokens = atoi(argv[++i]);
        else if (!strcmp(a, "--model")) model_name = argv[++i];
        else if (!strcmp(a, "--stats-file")) stats_file = argv[++i];
        else usage();
    }
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* default 50 us slack would blur the schedule */
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal}; sigaction(SIGTERM, &sa, NULL); sigaction(SIGINT, &sa, NULL);

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1; setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) { fprintf(stderr, "timing_server: bad --host %s\n", host); return 2; }
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
        fprintf(stderr, "timing_server: cannot listen on %s:%d: %s\n", host, port, strerror(errno)); return 1;
    }
    socklen_t alen = sizeof addr; getsockname(lfd, (struct sockaddr *)&addr, &alen);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd}; epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.fd = tfd; epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev);
    stats_reset();
    printf("listening on http://%s:%d ttft_ms=%.3f itl_ms=%.3f tokens=%d\n", host, ntohs(addr.sin_port),
           ttft_ns / 1e6, itl_ns / 1e6, default_tokens);
    fflush(stdout);

    struct epoll_event evs[EV_BATCH];
    while (!stop_flag) {
        int n = epoll_wait(epfd, evs, EV_BATCH, -1);
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) { on_accept(); continue; }
            if (fd == tfd) { uint64_t x; ssize_t r = read(tfd, &x, sizeof x); (void)r; armed_due = 0; continue; }
            conn_t *c = conns[fd];
            if (!c || c->fd < 0) continue;
            if (evs[i].events & EPOLLOUT) { if (flush_out(c) < 0) { conn_close(c, 1); continue; }
                if (c->fd >= 0 && c->state == ST_READING && !c->keep_alive && c->out_len == 0) { conn_close(c, 0); continue; } }
            if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) on_readable(c);
        }
        /* Fire everything due, in deadline order. */
        uint64_t t = now_ns();
        while (heap_len && heap[0].due <= t) {
            timer_t_ e = heap_pop();
            conn_t *c = conns[e.fd];
            if (c && c->fd == e.fd && c->gen == e.gen && c->state != ST_READING) on_due(c, e.due);
            if (!heap_len || heap[0].due > t) t = now_ns();
        }
        arm_timer();
    }
    char b[2048]; stats_json(b, sizeof b);
    fprintf(stderr, "timing_server stats: %s\n", b);
    if (stats_file) {
        char tmp[4096]; snprintf(tmp, sizeof tmp, "%s.tmp", stats_file);
        FILE *f = fopen(tmp, "w");
        if (f) { fprintf(f, "%s\n", b); fclose(f); rename(tmp, stats_file); }
    }
    return 0;
}
