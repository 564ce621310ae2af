#!/usr/bin/env bash
# The option reference agrees with the option table: docs/options.md and
# docs/hrprof.1 are what `make docs` writes from it now, and `hrprof --help`
# (the table's too) names the same options and environment variables as
# both. The man page renders without a groff warning.
#
# env: BUILD, a build directory holding hrprof and tools/options_doc.
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:?BUILD: a build directory}
gen=$B/tools/options_doc
T=$(mktemp -d /tmp/hrprof-options-docs.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL options_docs: $*"; fails=$((fails + 1)); }

[ -x "$gen" ] && [ -x "$B/hrprof" ] || { echo "no $gen or $B/hrprof: build them first"; exit 1; }
"$gen" md >"$T/options.md" || fail "options_doc md failed"
"$gen" man docs/hrprof.1.in >"$T/hrprof.1" || fail "options_doc man failed"
diff -u docs/options.md "$T/options.md" >"$T/md.diff" ||
	fail "docs/options.md is stale (run make docs): $(head -20 "$T/md.diff")"
diff -u docs/hrprof.1 "$T/hrprof.1" >"$T/man.diff" ||
	fail "docs/hrprof.1 is stale (run make docs): $(head -20 "$T/man.diff")"

# The options and the variables each defines: --help's option lines (and
# its "Environment only" list), the reference's first two tables, the man
# page's OPTIONS and ENVIRONMENT entries.
"$B/hrprof" --help >"$T/help" || fail "hrprof --help exited $?"
grep -oE '^  (-[A-Za-z], |    )--[a-z][a-z_-]*' "$T/help" | grep -oE -- '--[a-z_-]+' | sort >"$T/help.flags"
{
	grep -oE '\((default [^;]*; )?DD_[A-Z_]+\)$' "$T/help" | grep -oE 'DD_[A-Z_]+'
	grep -oE '^  DD_[A-Z_]+' "$T/help" | tr -d ' '
} | sort >"$T/help.env"
sed -n '/^| option |/,/^$/p' docs/options.md | awk -F'|' 'NR > 2 {print $2}' |
	grep -oE -- '--[a-z][a-z_-]*' | sort >"$T/md.flags"
sed -n '/^| option |/,/^## ddprof/p' docs/options.md | awk -F'|' '{print $3}' |
	grep -oE 'DD_[A-Z_]+' | sort >"$T/md.env.1"
sed -n '/^| variable |/,/^$/p' docs/options.md | awk -F'|' '{print $2}' | grep -oE 'DD_[A-Z_]+' \
	>>"$T/md.env.1"
sort "$T/md.env.1" >"$T/md.env"
sed -n '/^\.SH OPTIONS/,/^\.SH ENVIRONMENT/p' docs/hrprof.1 | grep -A1 '^\.TP' | grep -v '^\.TP\|^--' |
	sed 's/\\-/-/g; s/\\f[BIR]//g' | grep -oE -- '--[a-z][a-z_-]*' | sort >"$T/man.flags"
sed -n '/^\.SH ENVIRONMENT/,/^\.SH FILES/p' docs/hrprof.1 | grep -A1 '^\.TP' | grep -oE '^\.B DD_[A-Z_]+' |
	sed 's/^\.B //' | sort >"$T/man.env"
[ "$(wc -l <"$T/help.flags")" -ge 40 ] || fail "--help names only $(wc -l <"$T/help.flags") options"
[ "$(wc -l <"$T/help.env")" -ge 25 ] || fail "--help names only $(wc -l <"$T/help.env") variables"
for what in flags env; do
	for doc in md man; do
		diff "$T/help.$what" "$T/$doc.$what" >"$T/d" ||
			fail "--help and the $doc reference name different $what: $(tr '\n' ' ' <"$T/d")"
	done
done

if command -v groff >/dev/null; then
	warn=$(groff -man -ww -z docs/hrprof.1 2>&1)
	[ -z "$warn" ] || fail "groff warns on docs/hrprof.1: $warn"
fi
[ $fails -eq 0 ] || exit 1
echo "options_docs: $(wc -l <"$T/help.flags") options and $(wc -l <"$T/help.env") variables agree"
