#!/usr/bin/env bash
# make compose-test: the production docker-compose.yml, built, started, used, scaled and
# broken on this machine, then removed.
#
#  1. installs Debian's docker.io, docker-compose (1.29) and debootstrap if they are missing;
#  2. starts the Docker engine if none runs (overlay2 where an overlay mounts, else vfs;
#     no iptables: containers talk only to each other and to published loopback ports);
#  3. builds a Debian bookworm base image (debootstrap + docker import: no registry needed),
#     local stand-ins for python:3.11-slim, postgres, redis, mailpit and caddy from Debian's
#     packages (tests/compose/images/), and the project image on the python stand-in;
#  4. brings the stack up with docker-compose.yml plus tests/compose/docker-compose.standins.yml
#     (which only swaps image names) and runs tests/compose/ over HTTPS from outside;
#  5. `down -v` and checks that no container, network or volume of the project is left.
# A trap removes the stack, the images this run built, and stops the engine it started, also
# when anything fails. COMPOSE_TEST_KEEP_IMAGES=1 keeps the images (faster next run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

PROJECT=uppfoljning-compose-test
BASE_IMAGE=uppfoljning-standin/debian:bookworm
STANDINS=(python postgres redis mailpit caddy)
APP_IMAGE=uppfoljning:local
KEEP_IMAGES="${COMPOSE_TEST_KEEP_IMAGES:-0}"
# The legacy builder: BuildKit would try to fetch its Dockerfile frontend from a registry.
export DOCKER_BUILDKIT=0

log() { echo "compose-test: $*" >&2; }
START=$(date +%s)

# --- 1. tools -----------------------------------------------------------------------------------
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        log "missing ${need[*]} and not root; install them with: apt-get install -y ${need[*]}"
        exit 1
    fi
    log "installing ${need[*]} from Debian's packages (once per machine) ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
fi

# One run at a time on a machine: a second one would share (and then stop) the first's engine.
LOCK=/run/lock/uppfoljning-compose-test.lock
exec 9>"$LOCK"
if ! flock -n 9; then
    log "another make compose-test is running on this machine"
    exit 1
fi

WORK="$(mktemp -d /tmp/compose-test.XXXXXX)"
ENGINE_PID=""
HAD_DOCKER0=1
HAD_DATA_ROOT=1
HAD_DATA_MOUNT=1
BUILT_IMAGES=()
COMPOSE_UP=0

cleanup() {
    local status=$?
    set +e
    if [ "$COMPOSE_UP" = 1 ]; then
        if [ "$status" -ne 0 ]; then
            log "failed (exit $status); the stack's last log lines:"
            docker-compose ps >&2
            docker-compose logs --tail 30 >&2 2>/dev/null | tail -n 200 >&2
        fi
        docker-compose down -v --remove-orphans --timeout 10 >/dev/null 2>&1
    fi
    if [ "$KEEP_IMAGES" != 1 ] && [ ${#BUILT_IMAGES[@]} -gt 0 ]; then
        log "removing the images this run built: ${BUILT_IMAGES[*]}"
        docker rmi -f "${BUILT_IMAGES[@]}" >/dev/null 2>&1
        docker image prune -f >/dev/null 2>&1  # the dangling intermediate layers
    fi
    if [ -n "$ENGINE_PID" ]; then
        log "stopping the Docker engine this run started (pid $ENGINE_PID)"
        kill "$ENGINE_PID" 2>/dev/null
        for _ in $(seq 1 60); do kill -0 "$ENGINE_PID" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$ENGINE_PID" 2>/dev/null
        # What the engine leaves behind when it stops: its network namespace mount, the
        # docker0 bridge, and (when it had none before) its data directory.
        umount /run/docker/netns/* 2>/dev/null
        [ "$HAD_DOCKER0" = 1 ] || ip link delete docker0 2>/dev/null
        # overlay2: the engine bind-mounts its data directory on itself and may leave it.
        if [ "$HAD_DATA_MOUNT" = 0 ] && mountpoint -q /var/lib/docker; then
            umount /var/lib/docker 2>/dev/null
        fi
        if [ "$HAD_DATA_ROOT" = 0 ] && [ "$KEEP_IMAGES" != 1 ]; then
            rm -rf /var/lib/docker /run/docker
        fi
    fi
    rm -rf "$WORK"
    rm -f "$LOCK"
    log "took $(( $(date +%s) - START )) s in all"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 2. engine ----------------------------------------------------------------------------------
HAD_DOCKER0=0; ip link show docker0 >/dev/null 2>&1 && HAD_DOCKER0=1
HAD_DATA_ROOT=0; [ -d /var/lib/docker ] && HAD_DATA_ROOT=1
HAD_DATA_MOUNT=0; mountpoint -q /var/lib/docker 2>/dev/null && HAD_DATA_MOUNT=1
if ! docker info >/dev/null 2>&1; then
    # overlay2 where the kernel lets us mount an overlay (much faster, and shares layers on
    # disk); vfs otherwise, which works everywhere but copies every layer whole.
    driver=vfs
    mkdir -p "$WORK/ovl/lower" "$WORK/ovl/upper" "$WORK/ovl/work" "$WORK/ovl/merged"
    if mount -t overlay overlay -o "lowerdir=$WORK/ovl/lower,upperdir=$WORK/ovl/upper,workdir=$WORK/ovl/work" \
            "$WORK/ovl/merged" 2>/dev/null; then
        umount "$WORK/ovl/merged"
        driver=overlay2
    fi
    log "starting the Docker engine ($driver storage, no iptables) ..."
    dockerd --storage-driver="$driver" --iptables=false >"$WORK/dockerd.log" 2>&1 &
    ENGINE_PID=$!
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    if ! kill -0 "$ENGINE_PID" 2>/dev/null; then
        ENGINE_PID=""  # it exited: never stop (or clean up after) an engine this run did not start
        log "the engine did not start:"; tail -n 20 "$WORK/dockerd.log" >&2; exit 1
    fi
    if ! docker info >/dev/null 2>&1; then
        log "the engine did not start:"; tail -n 20 "$WORK/dockerd.log" >&2; exit 1
    fi
fi
docker_has() { docker image inspect "$1" >/dev/null 2>&1; }

# --- 3. images ----------------------------------------------------------------------------------
T=$(date +%s)
if ! docker_has "$BASE_IMAGE"; then
    log "debootstrap bookworm (minbase) -> $BASE_IMAGE ..."
    debootstrap --variant=minbase bookworm "$WORK/rootfs" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -n 20 "$WORK/debootstrap.log" >&2; exit 1; }
    rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/*
    # The machine's own package sources (mirror, updates, security) instead of debootstrap's one.
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        cp /etc/apt/sources.list.d/debian.sources "$WORK/rootfs/etc/apt/sources.list.d/"
        : >"$WORK/rootfs/etc/apt/sources.list"
    fi
    tar -C "$WORK/rootfs" -c . | docker import - "$BASE_IMAGE" >/dev/null
    rm -rf "$WORK/rootfs"
    BUILT_IMAGES+=("$BASE_IMAGE")
fi
cp -r tests/compose/images "$WORK/images"
mkdir -p "$WORK/images/python/extra-ca"
cp /usr/local/share/ca-certificates/*.crt "$WORK/images/python/extra-ca/" 2>/dev/null || true
build() {  # build IMAGE CONTEXT [ARGS...]: quiet, its output kept for a failure
    local image=$1 context=$2 logfile="$WORK/build-${1//[\/:]/_}.log"
    shift 2
    if ! docker build --network host "$@" -t "$image" "$context" >"$logfile" 2>&1; then
        log "building $image failed:"; tail -n 40 "$logfile" >&2
        return 1
    fi
}
# The stand-ins download from Debian's mirror: build them side by side, and the project image
# (which needs the python stand-in) meanwhile.
pids=()
for name in "${STANDINS[@]}"; do
    image="uppfoljning-standin/$name:local"
    if ! docker_has "$image"; then
        BUILT_IMAGES+=("$image")
        if [ "$name" = python ]; then
            log "building $image ..."
            build "$image" "$WORK/images/$name" --build-arg "BASE_IMAGE=$BASE_IMAGE"
        else
            log "building $image (in the background) ..."
            build "$image" "$WORK/images/$name" --build-arg "BASE_IMAGE=$BASE_IMAGE" &
            pids+=($!)
        fi
    fi
done
# The project image is rebuilt every run (the source is what is under test).
log "building $APP_IMAGE on uppfoljning-standin/python:local ..."
BUILT_IMAGES+=("$APP_IMAGE")
build "$APP_IMAGE" . --build-arg BASE_IMAGE=uppfoljning-standin/python:local
for pid in "${pids[@]}"; do wait "$pid"; done
log "images ready in $(( $(date +%s) - T )) s"

# --- 4. the stack and the test ------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HTTPS=$(free_port); HTTP=$(free_port); MAILUI=$(free_port)
export COMPOSE_PROJECT_NAME=$PROJECT
export COMPOSE_FILE="$ROOT/docker-compose.yml:$ROOT/tests/compose/docker-compose.standins.yml"
export SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
# Published on loopback only, on free ports.
export HTTPS_PORT="127.0.0.1:$HTTPS" HTTP_PORT="127.0.0.1:$HTTP" MAIL_UI_PORT="127.0.0.1:$MAILUI"
export PUBLIC_URL="https://localhost:$HTTPS"
export COMPOSE_TEST_BASE_URL="https://localhost:$HTTPS"
export COMPOSE_TEST_MAIL_URL="http://127.0.0.1:$MAILUI"

T=$(date +%s)
COMPOSE_UP=1
log "docker-compose up (waits for db and redis healthy, migrate done, web healthy) ..."
docker-compose up -d --no-build >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log" >&2; exit 1; }
log "stack up in $(( $(date +%s) - T )) s"

T=$(date +%s)
.venv/bin/python -m pytest tests/compose -m compose -p no:cacheprovider -q ${PYTEST_ARGS:-}
log "test run took $(( $(date +%s) - T )) s"

# --- 5. down -v leaves nothing behind -----------------------------------------------------------
docker-compose down -v --remove-orphans --timeout 30 >/dev/null 2>&1
COMPOSE_UP=0
left=$(
    docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"
    docker network ls -q --filter "label=com.docker.compose.project=$PROJECT"
    docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT"
)
if [ -n "$left" ]; then
    log "down -v left these behind: $left"
    exit 1
fi
log "down -v: no container, network or volume of $PROJECT is left"
