#!/usr/bin/env bash
# Start/stop a throwaway single-node Elasticsearch for development and CI.
#
# Uses the official *integration-test* distribution (server core only) fetched
# from Maven Central, because it needs no Elastic download site and is small.
# Its modules are only apm, transport-netty4, x-pack-core and x-pack-security
# (no analysis-common, no lang-painless). x-pack-security IS present and, left
# alone, auto-configures TLS + passwords on first start (rewriting
# config/elasticsearch.yml), so we pass xpack.security.enabled=false, which also
# suppresses that auto-configuration.
#
# Analysis components found empirically on 8.19.21 integ-test-zip (`probe` below,
# plus index-creation attempts); matching/es_queries.py relies only on these:
#   analyzers (built-in, usable in mappings): standard, simple, whitespace, stop, keyword
#   tokenizers usable in custom analyzers:    standard only (whitespace/keyword/letter/
#                                              ngram/edge_ngram/pattern: "failed to find")
#   token filters:                             lowercase, stop, shingle only (no cjk_bigram,
#                                              synonym, asciifolding, length, unique, trim)
#   normalizers: custom with lowercase works; no painless (lang-painless module absent).
# Hence: Chinese analysis, lower-casing and synonyms happen in Python and the text
# fields use the built-in `whitespace` analyzer; scoring uses BM25 + plain sorts.
#
# Usage: .ci/elasticsearch.sh start|stop|status|probe
# Env:   ES_VERSION (8.19.21), ES_HOME_BASE (~/.cache/patentmkt-es), ES_PORT (9200),
#        ES_USER (esrun, created when running as root), ES_HEAP (512m)
set -euo pipefail

ES_VERSION="${ES_VERSION:-8.19.21}"
BASE="${ES_HOME_BASE:-${HOME}/.cache/patentmkt-es}"
PORT="${ES_PORT:-9200}"
HEAP="${ES_HEAP:-512m}"
ES_USER="${ES_USER:-esrun}"
DIST_DIR="${BASE}/dist"
ES_HOME="${BASE}/elasticsearch-${ES_VERSION}"
RUN_DIR="${BASE}/run-${PORT}"
PID_FILE="${RUN_DIR}/es.pid"
LOG_FILE="${RUN_DIR}/es.log"
URL="http://127.0.0.1:${PORT}"

log() { echo "[elasticsearch.sh] $*" >&2; }

run_as_es() {
  # ES refuses to run as root: drop to a dedicated user when we are root.
  if [ "$(id -u)" = "0" ]; then
    su -s /bin/bash "${ES_USER}" -c "$*"
  else
    bash -c "$*"
  fi
}

fetch() {
  local zip="${DIST_DIR}/elasticsearch-${ES_VERSION}.zip"
  if [ ! -f "${zip}" ]; then
    mkdir -p "${DIST_DIR}"
    log "fetching integ-test-zip ${ES_VERSION} from Maven Central"
    mvn -q dependency:copy \
      -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip" \
      -DoutputDirectory="${DIST_DIR}" -Dmdep.overWriteIfNewer=true
  fi
  if [ ! -x "${ES_HOME}/bin/elasticsearch" ]; then
    log "unpacking to ${BASE}"
    rm -rf "${ES_HOME}.tmp" && mkdir -p "${ES_HOME}.tmp"
    (cd "${ES_HOME}.tmp" && unzip -q "${zip}")
    local inner
    inner="$(find "${ES_HOME}.tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)"
    mv "${inner}" "${ES_HOME}" && rm -rf "${ES_HOME}.tmp"
  fi
}

ensure_user() {
  if [ "$(id -u)" = "0" ]; then
    id "${ES_USER}" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "${ES_USER}"
    # the user must be able to traverse to ES_HOME (e.g. /root/.cache)
    local d="${BASE}"
    while [ "${d}" != "/" ]; do chmod o+x "${d}" 2>/dev/null || true; d="$(dirname "${d}")"; done
    chown -R "${ES_USER}" "${ES_HOME}" "${RUN_DIR}"
  fi
}

is_running() {
  [ -f "${PID_FILE}" ] && kill -0 "$(cat "${PID_FILE}")" 2>/dev/null
}

healthy() {
  curl -fsS "${URL}/_cluster/health" 2>/dev/null | grep -Eq '"status":"(green|yellow)"'
}

start() {
  if is_running && healthy; then log "already running on ${URL} (pid $(cat "${PID_FILE}"))"; return 0; fi
  fetch
  mkdir -p "${RUN_DIR}/data" "${RUN_DIR}/logs"
  ensure_user
  rm -f "${PID_FILE}"
  log "starting on ${URL}"
  run_as_es "cd '${ES_HOME}' && ES_JAVA_HOME='${ES_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}' \
    ES_JAVA_OPTS='-Xms${HEAP} -Xmx${HEAP}' ./bin/elasticsearch -d -p '${PID_FILE}' \
    -E discovery.type=single-node -E network.host=127.0.0.1 -E http.port=${PORT} \
    -E transport.port=$((PORT + 100)) \
    -E cluster.name=patentmkt-dev -E path.data='${RUN_DIR}/data' -E path.logs='${RUN_DIR}/logs' \
    -E cluster.routing.allocation.disk.watermark.low=97% \
    -E cluster.routing.allocation.disk.watermark.high=98% \
    -E cluster.routing.allocation.disk.watermark.flood_stage=99% \
    -E action.destructive_requires_name=false \
    -E xpack.security.enabled=false \
    > '${LOG_FILE}' 2>&1"
  local deadline=$((SECONDS + 120))
  until healthy; do
    if [ ${SECONDS} -ge ${deadline} ]; then
      log "not healthy after 120 s; log tail:"
      tail -n 60 "${LOG_FILE}" "${RUN_DIR}/logs/"*.log 2>/dev/null || true
      exit 1
    fi
    sleep 2
  done
  log "healthy: $(curl -fsS "${URL}/_cluster/health")"
}

stop() {
  if is_running; then
    local pid; pid="$(cat "${PID_FILE}")"
    log "stopping pid ${pid}"
    kill "${pid}"
    for _ in $(seq 1 60); do kill -0 "${pid}" 2>/dev/null || break; sleep 1; done
    kill -0 "${pid}" 2>/dev/null && kill -9 "${pid}" || true
  else
    log "not running"
  fi
  rm -f "${PID_FILE}"
}

probe() {
  # Which analysis building blocks does this server actually have?
  for kind in analyzer tokenizer filter; do
    for name in standard simple whitespace keyword stop lowercase letter cjk_bigram shingle synonym \
                asciifolding icu_tokenizer smartcn_tokenizer ngram edge_ngram; do
      body="{\"${kind}\":\"${name}\",\"text\":\"Ab 锂电池\"}"
      [ "${kind}" = "filter" ] && body="{\"tokenizer\":\"whitespace\",\"filter\":[\"${name}\"],\"text\":\"Ab 锂电池\"}"
      if curl -fsS -H 'Content-Type: application/json' "${URL}/_analyze" -d "${body}" >/dev/null 2>&1; then
        echo "${kind} ${name}: yes"
      else
        echo "${kind} ${name}: no"
      fi
    done
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if is_running && healthy; then echo "running ${URL}"; else echo "stopped"; exit 1; fi ;;
  probe) probe ;;
  *) echo "usage: $0 start|stop|status|probe" >&2; exit 2 ;;
esac
