#!/bin/sh
# man.sh - make a man page from its template: each line
#   @ROWS mmtorture ARGS...@   or   @ROWS mmtortured ARGS...@
# is replaced by what the built program prints for those arguments (the
# rows of its option tables, in roff), and @VERSION@ and @DATE@ by the version and its date.  So
# the option sections of the man pages are the programs' own.
#
#   tools/man.sh BINDIR VERSION DATE TEMPLATE > PAGE
set -eu
bin=$1 version=$2 date=$3 template=$4
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	@ROWS\ *@)
		cmd=${line#@ROWS }
		cmd=${cmd%@}
		# shellcheck disable=SC2086
		set -- $cmd
		prog=$1
		shift
		case $prog in
		mmtorture|mmtortured) ;;
		*) echo "man.sh: $template: not one of the programs: $prog" >&2; exit 1 ;;
		esac
		"$bin/$prog" "$@" || { echo "man.sh: $template: '$cmd' failed" >&2; exit 1; } ;;
	*)
		printf '%s\n' "$line" | sed -e "s/@VERSION@/$version/g" -e "s/@DATE@/$date/g" ;;
	esac
done < "$template"
