#!/bin/bash
# per image: fast count, accurate count, twins (fast minutiae kept at same quality in accurate)
f=$1; dpi=$2; tmp=$(mktemp -d)
target/release/scomm fp extract "$f" --dpi $dpi --profile fast 2>/dev/null | awk 'NR>2{print $1,$2,$5}' > "$tmp/f"
target/release/scomm fp extract "$f" --dpi $dpi --profile accurate 2>/dev/null | awk 'NR>2{print $1,$2,$5}' > "$tmp/a"
python3 - "$f" "$tmp/f" "$tmp/a" <<'PY'
import sys
f,a=open(sys.argv[2]).read().split('\n'),open(sys.argv[3]).read().split('\n')
F=[tuple(map(int,l.split())) for l in f if l.strip()]
A=set(tuple(map(int,l.split())) for l in a if l.strip())
t=sum(1 for m in F if m in A)
print(sys.argv[1], len(F), len(A), t)
PY
rm -rf "$tmp"
