#!/usr/bin/env bash
# Makes the seed inputs of the fuzz targets from a fresh registry, with the
# `sijil` binary of this checkout:
#   - fixtures/jwks.json: the registry's key set (a retired key and the current
#     one), which the targets use as their fixed keys;
#   - seeds/<target>/: real receipts, bundles, signed checkpoints, tlog-proof
#     files and letter metadata, plus consistency proofs of the reference tree
#     that the `bundle` target checks proofs against.
# Seeds carry valid signatures under fixtures/jwks.json, so that mutations of
# them reach every verification step. Run from anywhere:
#   cargo build -p sijil-cli && fuzz/seeds.sh
set -euo pipefail

fuzz="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sijil="${SIJIL:-$fuzz/../target/debug/sijil}"
[ -x "$sijil" ] || { echo "no $sijil: run cargo build -p sijil-cli first" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
data="$work/data"

printf 'hello letter\n' >"$work/a.txt"
printf '%%PDF-1.7\nscan\n' >"$work/b.pdf"

register() { # N ARGS...
    local n="$1"
    shift
    "$sijil" --data-dir "$data" register "$@" \
        --out "$work/bundle$n.json" --tlog-proof "$work/proof$n.txt" 2>>"$work/registered.txt"
}
register 1 --sender "Sender 1" --subject "Subject 1" "$work/a.txt"
register 2 --sender "Sender 2" --subject "Subject 2" "$work/a.txt"
register 3 --sender "Sender 3" --subject "Subject 3" "$work/a.txt" "$work/b.pdf"
register 4 --sender "Sender 4" --subject "Subject 4" --channel web "$work/a.txt" "$work/b.pdf"
register 5 --sender "Sender 5" --subject "Subject 5" --channel partner "$work/a.txt" "$work/b.pdf"
register 6 --sender "فاطمة العلوي" --subject "طلب" --channel email --reference "R/1" \
    --letter-date 2026-01-02 --notes "x" --addressee "Service" --sender-email a@b.c \
    --national-id AB123 --sender-address "1 rue" "$work/b.pdf"
# A retired key: letter 7 is signed by the next one.
"$sijil" --data-dir "$data" keys rotate >/dev/null 2>&1
register 7 --sender "After rotate" --subject "S7" "$work/a.txt"

mkdir -p "$fuzz/fixtures"
"$sijil" --data-dir "$data" keys export --jwks >"$fuzz/fixtures/jwks.json"

SIJIL="$sijil" DATA="$data" WORK="$work" SEEDS="$fuzz/seeds" python3 - <<'EOF'
import base64, hashlib, json, os, re, subprocess

sijil, data, work, seeds = (os.environ[k] for k in ("SIJIL", "DATA", "WORK", "SEEDS"))
numbers = re.findall(r"^registered (\S+)", open(f"{work}/registered.txt").read(), re.M)

def write(target, name, content):
    os.makedirs(f"{seeds}/{target}", exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    with open(f"{seeds}/{target}/{name}", "wb") as f:
        f.write(content)

for i, number in enumerate(numbers, 1):
    raw = open(f"{work}/bundle{i}.json", "rb").read()
    bundle = json.loads(raw)
    write("bundle", f"seed-bundle{i}.json", raw)
    write("jws", f"seed-receipt{i}.jws", bundle["receipt"])
    write("checkpoint", f"seed-checkpoint{i}.note", bundle["checkpoint"])
    write("checkpoint", f"seed-tlog-proof{i}.txt", open(f"{work}/proof{i}.txt", "rb").read())
    shown = subprocess.run([sijil, "--data-dir", data, "show", number],
                           capture_output=True, check=True).stdout
    metadata = json.loads(shown)["metadata"]
    write("metadata", f"seed-metadata{i}.json",
          json.dumps(metadata, ensure_ascii=False, indent=2 if i % 2 else None))

last = json.loads(open(f"{work}/bundle{len(numbers)}.json").read())["checkpoint"]
write("checkpoint", "seed-body.txt", last.split("\n\n")[0] + "\n")
write("checkpoint", "seed-body-ext.txt",
      "sijil.localhost\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nextension line\n")
write("metadata", "seed-value.json",
      r'{"b":[1,-2,3.0,true,null],"a":"\u00e9\n\u001f","\ud83d\ude00":{"x":9007199254740991}}')

# RFC 6962 consistency proofs in the reference tree of sijil_fuzz::reference_leaves:
# leaf i is the 8-byte big-endian i.
def leaf(d): return hashlib.sha256(b"\0" + d).digest()
def node(l, r): return hashlib.sha256(b"\1" + l + r).digest()
def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k
def root(ls):
    if len(ls) == 1:
        return ls[0]
    k = split(len(ls))
    return node(root(ls[:k]), root(ls[k:]))
def subproof(m, ls, complete):
    if m == len(ls):
        return [] if complete else [root(ls)]
    k = split(len(ls))
    if m <= k:
        return subproof(m, ls[:k], complete) + [root(ls[k:])]
    return subproof(m - k, ls[k:], False) + [root(ls[:k])]
leaves = [leaf(i.to_bytes(8, "big")) for i in range(64)]
for old, new in [(3, 7), (4, 8), (1, 64), (13, 40), (7, 7)]:
    proof = subproof(old, leaves[:new], True) if old < new else []
    write("bundle", f"seed-consistency-{old}-{new}.json", json.dumps(
        {"from": old, "to": new, "hashes": [base64.b64encode(h).decode() for h in proof]}))
EOF
echo "seeds written to $fuzz/seeds, keys to $fuzz/fixtures/jwks.json"
