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
  if [ "$name" != online-shop ]; then
    echo "   these findings are deliberate: the example keeps the gaps of the policy it was written"
    echo "   from (the comments at the top of $register say which; docs/lint.md explains each code)"
  fi
  # The examples written from the seeds keep their seeds' flaws on purpose: the policy and the
  # Art. 30 record of a register whose lint finds errors are refused, so they are made as drafts,
  # marked as such on every page.
  draft=()
  if ! "$REGISTRE" lint "$register" --fail-on error >/dev/null; then
    draft=(--draft)
    echo "   lint errors: the documents below are drafts, not for publication (see $dest/lint.txt)"
  fi
  for lang in fr en; do
    "$REGISTRE" policy "$register" "${draft[@]}" --lang "$lang" --format md --output "$dest/policy.$lang.md"
    "$REGISTRE" policy "$register" "${draft[@]}" --lang "$lang" --format html --output "$dest/policy.$lang.html"
  done
  "$REGISTRE" ropa "$register" "${draft[@]}" --format xlsx --output "$dest/ropa.xlsx"
  "$REGISTRE" ropa "$register" "${draft[@]}" --format csv --output "$dest/ropa"
done
echo
echo "Done. Policies, Art. 30 registers and lint reports are in $(pwd)/out/"
