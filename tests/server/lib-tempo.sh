# tests/server/lib-tempo.sh: start and stop a real Grafana Tempo (the static
# 2.0.1 binary described in ../shared/tempo/README.md) for a test script.
# Source after tests/setup.sh (which gives $T, at_exit, diag, skip):
#
#   need_tempo                 decompress the binary into $T (once per script);
#                              without it the script is skipped, saying why.
#                              TRACEFILL_TEMPO_ZST names the .zst (default:
#                              shared/tempo/tempo-2.0.1-linux-amd64.zst beside
#                              the source tree, or beside its parent for a git
#                              worktree in a subdirectory); TRACEFILL_TEMPO a
#                              ready binary.
#   start_tempo NAME [KEY=VALUE...]
#                              write a config into $T/tempo-NAME (data there
#                              too) on free loopback ports, start Tempo, wait
#                              until /ready answers 200 (60 s at most); stop
#                              it at exit. Sets TEMPO_OTLP (the OTLP/HTTP base
#                              URL), TEMPO_API (the HTTP API: /api/traces/<id>,
#                              /api/search), TEMPO_DIR, TEMPO_PID. Keys:
#       multitenant=1          multitenancy_enabled: true (requests need X-Scope-OrgID)
#       slack=DURATION         storage.trace.wal.ingestion_time_range_slack (2m)
#       overrides="YAML"       the overrides block's body, e.g.
#                              "ingestion_rate_strategy: local, ingestion_rate_limit_bytes: 300000"
#       ingester="YAML"        more ingester settings, e.g.
#                              "max_block_duration: 30s, trace_idle_period: 2s"
#       block=v2               storage.trace.block.version (default: Tempo's,
#                              vParquet); v2 looks traces up by ID several
#                              times faster (an index instead of a scan of
#                              the WAL), which keeps verify's tests short
#   Every Tempo answers trace lookups with query_shards 2 (the default 50
#   jobs per lookup only add queueing on one machine); ingestion limits are
#   Tempo's defaults unless overrides= says otherwise.
#   stop_tempo [PID]           SIGKILL and wait: a test's Tempo keeps nothing, and
#                              on SIGTERM it first flushes its ingester (15 s)
#   tempo_metric NAME          the sum of metric NAME's samples on /metrics
#
# Everything listens on 127.0.0.1 only. Ports are picked at random from
# 20000-59999 and the start is retried with new ones when Tempo cannot bind.

if [ -z "${TRACEFILL_TEMPO_ZST:-}" ]; then
    TRACEFILL_TEMPO_ZST=$top_srcdir/../shared/tempo/tempo-2.0.1-linux-amd64.zst
    [ -r "$TRACEFILL_TEMPO_ZST" ] || [ ! -r "$top_srcdir/../../shared/tempo/tempo-2.0.1-linux-amd64.zst" ] ||
        TRACEFILL_TEMPO_ZST=$top_srcdir/../../shared/tempo/tempo-2.0.1-linux-amd64.zst
fi
TEMPO_SHA256=5c2c43f8d696c8d10b80faf6133e88eee515dbb7d81ccd608335092839938047
_tempo_n=0

need_tempo() {
    if [ -n "${TRACEFILL_TEMPO:-}" ] && [ -x "$TRACEFILL_TEMPO" ]; then
        TEMPO_BIN=$TRACEFILL_TEMPO
        return 0
    fi
    if [ ! -r "$TRACEFILL_TEMPO_ZST" ]; then
        echo "1..0 # SKIP no Tempo binary at $TRACEFILL_TEMPO_ZST (set TRACEFILL_TEMPO_ZST)"
        trap - EXIT
        rm -rf "$T"
        exit 0
    fi
    TEMPO_BIN=$T/tempo
    zstd -q -dc "$TRACEFILL_TEMPO_ZST" >"$TEMPO_BIN"
    chmod +x "$TEMPO_BIN"
    sum=$(sha256sum "$TEMPO_BIN" | cut -d' ' -f1)
    if [ "$sum" != "$TEMPO_SHA256" ]; then
        diag "$TRACEFILL_TEMPO_ZST decompresses to sha256 $sum, not Tempo 2.0.1's $TEMPO_SHA256"
        return 1
    fi
}

# _tempo_config DIR HTTP GRPC OTLP GOSSIP: the YAML for start_tempo's keys.
_tempo_config() {
    printf 'server: {http_listen_address: 127.0.0.1, http_listen_port: %s, grpc_listen_address: 127.0.0.1, grpc_listen_port: %s, log_level: warn}\n' "$2" "$3"
    printf 'distributor: {receivers: {otlp: {protocols: {http: {endpoint: "127.0.0.1:%s"}}}}}\n' "$4"
    printf 'ingester: {lifecycler: {ring: {replication_factor: 1}, min_ready_duration: 1s}%s}\n' "${_t_ingester:+, $_t_ingester}"
    printf 'memberlist: {bind_addr: [127.0.0.1], bind_port: %s}\n' "$5"
    printf 'compactor: {compaction: {block_retention: 87600h}}\n'
    printf 'usage_report: {reporting_enabled: false}\n'
    printf 'query_frontend: {trace_by_id: {query_shards: 2}}\n'
    _t_blk=""
    [ -z "$_t_block" ] || _t_blk=" block: {version: $_t_block},"
    printf 'storage: {trace: {backend: local, blocklist_poll: 5s,%s wal: {path: %s/wal, ingestion_time_range_slack: %s}, local: {path: %s/blocks}}}\n' \
        "$_t_blk" "$1" "$_t_slack" "$1"
    [ -z "$_t_multi" ] || printf 'multitenancy_enabled: true\n'
    [ -z "$_t_overrides" ] || printf 'overrides: {%s}\n' "$_t_overrides"
}

start_tempo() {
    _t_name=$1; shift
    _t_multi=""; _t_slack=2m; _t_overrides=""; _t_ingester=""; _t_block=""
    for kv in "$@"; do
        case $kv in
        multitenant=1) _t_multi=1 ;;
        slack=*) _t_slack=${kv#slack=} ;;
        overrides=*) _t_overrides=${kv#overrides=} ;;
        ingester=*) _t_ingester=${kv#ingester=} ;;
        block=*) _t_block=${kv#block=} ;;
        *) diag "start_tempo: unknown setting $kv"; return 1 ;;
        esac
    done
    TEMPO_DIR=$T/tempo-$_t_name
    mkdir -p "$TEMPO_DIR"
    _t_try=0
    while :; do
        _t_try=$((_t_try + 1))
        # four distinct ports from a random base (the shell's $$ and the clock)
        _t_base=$(( 20000 + ( $(date +%N | sed 's/^0*//;s/^$/0/') / 1000 + $$ * 7 + _tempo_n * 101 ) % 39990 ))
        _tempo_n=$((_tempo_n + 1))
        _t_http=$_t_base; _t_grpc=$((_t_base + 1)); _t_otlp=$((_t_base + 2)); _t_gossip=$((_t_base + 3))
        _tempo_config "$TEMPO_DIR" $_t_http $_t_grpc $_t_otlp $_t_gossip >"$TEMPO_DIR/tempo.yaml"
        "$TEMPO_BIN" -config.file="$TEMPO_DIR/tempo.yaml" >"$TEMPO_DIR/log" 2>&1 &
        TEMPO_PID=$!
        _t_i=0
        _t_ready=""
        while [ $_t_i -lt 600 ]; do
            if ! kill -0 "$TEMPO_PID" 2>/dev/null; then
                break
            fi
            if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$_t_http/ready" 2>/dev/null)" = 200 ]; then
                _t_ready=1
                break
            fi
            _t_i=$((_t_i + 1))
            sleep 0.1
        done
        if [ -n "$_t_ready" ]; then
            break
        fi
        kill -KILL "$TEMPO_PID" 2>/dev/null || true
        wait "$TEMPO_PID" 2>/dev/null || true
        if [ $_t_try -ge 5 ] || ! grep -q "address already in use" "$TEMPO_DIR/log"; then
            diag "Tempo did not become ready:" "$(tail -n 20 "$TEMPO_DIR/log")"
            return 1
        fi
        rm -rf "$TEMPO_DIR/wal" "$TEMPO_DIR/blocks"
    done
    at_exit "stop_tempo $TEMPO_PID >/dev/null 2>&1 || true"
    TEMPO_OTLP=http://127.0.0.1:$_t_otlp
    TEMPO_API=http://127.0.0.1:$_t_http
    export TEMPO_OTLP TEMPO_API TEMPO_DIR TEMPO_PID
}

stop_tempo() {
    _t_pid=${1:-$TEMPO_PID}
    kill -KILL "$_t_pid" 2>/dev/null || true
    wait "$_t_pid" 2>/dev/null || true
}

tempo_metric() {
    curl -s "$TEMPO_API/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.0f\n", s }'
}
