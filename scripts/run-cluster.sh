#!/usr/bin/env bash
# Runs a three-server roster cluster on this machine, one node per loopback
# address (127.0.0.1, .2, .3), each with Consul's default ports. Data and
# logs go to .cluster/. Ctrl-C stops all three (data is kept; `make clean`
# removes it).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/roster
[ -x "$bin" ] || { echo "build first: make build" >&2; exit 1; }
mkdir -p .cluster
pids=()
cleanup() {
	kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM
for i in 1 2 3; do
	ip=127.0.0.$i
	"$bin" agent --node "n$i" --data-dir ".cluster/n$i" --bind "$ip" \
		--http-addr "$ip:8500" --dns-addr "$ip:8600" \
		--bootstrap-expect 3 --join 127.0.0.1 --join 127.0.0.2 --join 127.0.0.3 \
		>".cluster/n$i.log" 2>&1 &
	pids+=($!)
done
echo "three agents starting (logs in .cluster/n1.log .. n3.log):"
echo "  HTTP  127.0.0.1:8500  127.0.0.2:8500  127.0.0.3:8500"
echo "  DNS   127.0.0.1:8600  127.0.0.2:8600  127.0.0.3:8600"
echo "try:  bin/roster members    (Ctrl-C here stops the cluster)"
wait
