#!/usr/bin/env bash
# Builds the test images from Debian's busybox-static; nothing is pulled from a registry.
#   berth-test/busybox        busybox with its applets on PATH
#   berth-test/http           httpd on $PORT (default 8080): / answers the hostname, /health answers ok;
#                             exits 0 on SIGTERM
#   berth-test/crasher        prints a line, waits $CRASH_AFTER seconds (default 1), exits $EXIT_CODE (default 3)
#   berth-test/flipper        healthy (file /tmp/healthy) for $HEALTHY_FOR seconds, then unhealthy
#   berth-test/ignore-term    ignores SIGTERM; only SIGKILL ends it
#   berth-test/node           busybox plus this machine's node binary and the libraries it links, so a
#                             test can run the AWS SDK inside a task (node_modules bind-mounted)
# Rebuilds only when this script changes (the images carry its hash as a label).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
docker=/usr/bin/docker
hash="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
if [[ "$($docker image inspect -f '{{index .Config.Labels "berth.test-images"}}' berth-test/node:latest 2>/dev/null || true)" == "$hash" ]]; then
  exit 0
fi
echo "setup: building test images (berth-test/*) from busybox-static" >&2
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp /bin/busybox "$ctx/busybox"
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /www /usr/bin && ln -s /bin/env /usr/bin/env
CMD ["sh"]
DOCKERFILE
$docker build -q --label "berth.test-images=$hash" -t berth-test/busybox:latest "$ctx" >/dev/null

build() {
  local name="$1" cmd="$2" extra="${3:-}"
  printf 'FROM berth-test/busybox:latest\n%s\nCMD ["sh", "-c", %s]\n' "$extra" "$cmd" > "$ctx/Dockerfile.$name"
  $docker build -q --label "berth.test-images=$hash" -t "berth-test/$name:latest" -f "$ctx/Dockerfile.$name" "$ctx" >/dev/null
}
build http '"echo ok > /www/health; hostname > /www/index.html; env > /www/env; httpd -f -v -p ${PORT:-8080} -h /www & pid=$!; trap \"kill $pid; exit 0\" TERM; wait $pid"' 'EXPOSE 8080'
build crasher '"echo crashing in ${CRASH_AFTER:-1}s; sleep ${CRASH_AFTER:-1}; echo exiting ${EXIT_CODE:-3} >&2; exit ${EXIT_CODE:-3}"'
build flipper '"touch /tmp/healthy; echo healthy; sleep ${HEALTHY_FOR:-2}; rm -f /tmp/healthy; echo unhealthy; exec sleep 3600"'
build ignore-term '"trap \"echo got SIGTERM, ignoring\" TERM; echo started; while true; do sleep 1; done"'

# The node image gets its own build context: the binary is large.
nctx="$(mktemp -d)"
trap 'rm -rf "$ctx" "$nctx"' EXIT
node_bin="$(readlink -f "$(command -v node)")"
mkdir -p "$nctx/root/usr/local/bin"
cp "$node_bin" "$nctx/root/usr/local/bin/node"
for lib in $(ldd "$node_bin" | awk '/=>/ { print $3 } /^[ \t]*\/lib/ { print $1 }'); do
  mkdir -p "$nctx/root$(dirname "$lib")"
  cp -L "$lib" "$nctx/root$lib"
done
printf 'FROM berth-test/busybox:latest\nCOPY root/ /\nCMD ["node"]\n' > "$nctx/Dockerfile"
$docker build -q --label "berth.test-images=$hash" -t berth-test/node:latest "$nctx" >/dev/null
