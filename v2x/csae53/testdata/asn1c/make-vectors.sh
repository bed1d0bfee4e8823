#!/bin/sh
# Regenerates the asn1c test vectors: gen.go writes XER values covering the
# schema's extremes, asn1c (the oracle) encodes each to UPER, and its own
# decode of that UPER is kept as the reference XER. Needs asn1c 0.9.28
# (apt-get install asn1c) and a C compiler. Nothing in CI runs this.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
schema=$here/../../asn
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && asn1c -gen-PER -pdu=MessageFrame "$schema"/*.asn >/dev/null 2>&1 &&
	sed -i 's/^CFLAGS.*/& -DPDU=MessageFrame -O1 -w/' Makefile.am.sample &&
	make -f Makefile.am.sample -j2 >/dev/null 2>&1)
mkdir -p "$work/in"
(cd "$here" && go run gen.go -schema "$schema" -out "$work/in")
rm -f "$here"/*.uper "$here"/*.xer
for in in "$work"/in/*.in.xer; do
	name=$(basename "$in" .in.xer)
	if "$work/progname" -ixer -oper "$in" >"$here/$name.uper" 2>"$work/err"; then
		"$work/progname" -iper -oxer "$here/$name.uper" >"$here/$name.xer"
	else
		echo "asn1c refused $name: $(head -c 200 "$work/err")" >&2
		rm -f "$here/$name.uper"
	fi
done
# Variants that came out identical are kept once.
for f in "$here"/*.uper; do
	for g in "$here"/*.uper; do
		if [ "$f" \< "$g" ] && [ -e "$f" ] && [ -e "$g" ] && cmp -s "$f" "$g"; then
			rm -f "$g" "${g%.uper}.xer"
		fi
	done
done
ls "$here"/*.uper | wc -l
