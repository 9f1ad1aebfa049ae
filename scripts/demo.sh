#!/usr/bin/env bash
# Run registre on every bundled example: check, lint, and generate the policies and the
# Art. 30 register. Output goes to out/<example>/.
set -euo pipefail
cd "$(dirname "$0")/.."
REGISTRE=.venv/bin/registre
mkdir -p out
for dir in examples/*/; do
  name=$(basename "$dir")
  register="$dir/register.yaml"
  [ -f "$register" ] || continue
  dest="out/$name"
  mkdir -p "$dest"
  echo "== $name"
  "$REGISTRE" check "$register"
  "$REGISTRE" lint "$register" --fail-on never | tee "$dest/lint.txt" | tail -n 1
  [ "$name" != online-shop ] || "$REGISTRE" lint "$register" --fail-on info >/dev/null  # the one to copy: clean
  for lang in fr en; do
    "$REGISTRE" policy "$register" --lang "$lang" --format md --output "$dest/policy.$lang.md"
    "$REGISTRE" policy "$register" --lang "$lang" --format html --output "$dest/policy.$lang.html"
  done
  "$REGISTRE" ropa "$register" --format xlsx --output "$dest/ropa.xlsx"
  "$REGISTRE" ropa "$register" --format csv --output "$dest/ropa"
done
echo
echo "Done. Policies, Art. 30 registers and lint reports are in $(pwd)/out/"
