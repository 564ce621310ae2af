#!/usr/bin/env bash
# make demo: profile the bundled demo workload for a few seconds, with no
# Agent, write a pprof file and print its top functions.
set -eu
hrprof=$1
workloads=$2
out=profiles/demo
mkdir -p "$out"
rm -f "$out"/*.pb.gz
echo "==> hrprof -F 999 --output $out -- $workloads/demo 4"
"$hrprof" -F 999 --output "$out" -- "$workloads/demo" 4
file=$(ls -1 "$out"/*.pb.gz | tail -n 1)
echo
echo "==> hrprof report $file"
"$hrprof" report -n 10 "$file"
echo
echo "The profile is $file: open it with 'go tool pprof -http=: $file' or 'hrprof report'."
