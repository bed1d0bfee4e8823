#!/bin/sh
# Regenerates the asn1c test vectors of the SDSM: gen.go writes XER values
# covering the extremes of our transcription, asn1c (the oracle, compiled
# from that transcription) encodes each to UPER, and its own decode of that
# UPER is kept as the reference XER. Needs asn1c 0.9.28 (apt-get install
# asn1c) and a C compiler. Nothing in CI runs this.
#
# With CONVERTER=path/to/converter-debug (jpo-asn-pojos,
# generate-test-data/, built by asn1c from the published J2735 2024
# modules), each UPER is also decoded by that converter, and the script
# fails unless its XER holds the same values: a check of the transcription
# against the standard's own modules, not only against itself.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
schema=$here/../../../asn
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# asn1c wants one module: the bodies of our three, under one header.
{
	echo 'J2735 DEFINITIONS AUTOMATIC TAGS ::= BEGIN'
	for f in spat-map.asn bsm-partii.asn sdsm.asn; do
		sed -e '/DEFINITIONS AUTOMATIC TAGS ::= BEGIN/d' -e '/^END$/d' "$schema/$f"
	done
	echo 'END'
} >"$work/j2735.asn"
(cd "$work" && asn1c -gen-PER -pdu=SensorDataSharingMessage j2735.asn >/dev/null 2>&1 &&
	sed -i 's/^CFLAGS.*/& -DPDU=SensorDataSharingMessage -O1 -w/' Makefile.am.sample &&
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
		continue
	fi
	if [ -n "${CONVERTER:-}" ]; then
		"$CONVERTER" -p SensorDataSharingMessage -iuper -oxer "$here/$name.uper" 2>/dev/null >"$work/std.xer"
		# Values compared without layout; the converter prints OCTET
		# STRINGs without spaces.
		a=$(tr -d ' \t\n' <"$here/$name.xer")
		b=$(tr -d ' \t\n' <"$work/std.xer")
		if [ "$a" != "$b" ]; then
			echo "$name: the J2735 2024 converter decodes it differently" >&2
			exit 1
		fi
		echo "$name: same values from the J2735 2024 converter"
	fi
done
ls "$here"/*.uper | wc -l
