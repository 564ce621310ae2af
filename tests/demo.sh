#!/usr/bin/env bash
# make demo: profile the bundled demo workload for a few seconds, with no
# Agent, write a pprof file, print its top functions and write its flame graph.
set -eu
hrprof=$1
workloads=$2
out=profiles/demo
mkdir -p "$out"
rm -f "$out"/*.pb.gz "$out"/*.html
echo "==> hrprof -F 999 --output $out -- $workloads/demo 4"
"$hrprof" -F 999 --output "$out" -- "$workloads/demo" 4
file=$(ls -1 "$out"/*.pb.gz | tail -n 1)
echo
echo "==> hrprof report $file"
"$hrprof" report -n 10 "$file"
html=${file%.pb.gz}.html
echo
echo "==> hrprof report --flamegraph $html $file"
"$hrprof" report --flamegraph "$html" "$file"
echo
echo "The profile is $file: open it with 'go tool pprof -http=: $file' or 'hrprof report'."
echo "Its flame graph is $html: open it in a browser (file://$(realpath "$html"))."
