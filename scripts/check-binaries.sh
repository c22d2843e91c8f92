#!/usr/bin/env bash
# make lint: fail when git tracks an executable binary (ELF, Mach-O, PE or a
# shell-less executable); build outputs belong in bin/ or .gitignore.
set -euo pipefail
cd "$(dirname "$0")/.."
found=0
while IFS= read -r -d '' file; do
	[ -f "$file" ] || continue
	magic=$(head -c 4 "$file" | od -An -tx1 | tr -d ' \n')
	case "$magic" in
	7f454c46 | cffaedfe | cefaedfe | feedfacf | feedface | 4d5a*)
		echo "binary tracked in git: $file" >&2
		found=1
		;;
	esac
done < <(git ls-files -z)
exit "$found"
