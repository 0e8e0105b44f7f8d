#!/usr/bin/env bash
# make demo: the bank's whole flow against the embedded sandbox, recorded and
# its signatures re-checked offline, then the signature debugger: sign a consent request with throw-away certificates,
# verify it, break it the way people do and let xs2a explain the break.
# Everything happens in a temporary directory that is removed afterwards.
set -euo pipefail
XS2A="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export XS2A_CONFIG="$work/config.yaml" XDG_STATE_HOME="$work/state"
: > "$XS2A_CONFIG"
# Bold headings only on a terminal, and never with NO_COLOR, like xs2a itself.
if [ -t 1 ] && [ -z "${NO_COLOR+x}" ]; then
  step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  step() { printf '\n== %s\n' "$*"; }
fi

step "1. The whole journey against the embedded bank: token, consent, authorize, exchange, cards"
"$XS2A" flow --sandbox --record bundle

step "1b. Every exchange was recorded (secrets redacted, safe for a support ticket): each signature re-checked offline"
"$XS2A" sign verify --bundle bundle

step "2. Throw-away PSD2 certificates (test CA, QWAC, QSealC with PSP_AI)"
"$XS2A" certs generate --dir certs --write-profile default

step "3. The QSealC as a bank sees it"
"$XS2A" certs inspect certs/qseal.pem --key certs/qseal.key | grep -E 'Subject|Serial|QCStatements|PSD2 roles|NCA|keyId'

cat > consent.json <<'JSON'
{"access":{"allPsd2":"allAccounts"},"recurringIndicator":true,"validUntil":"2099-12-31","frequencyPerDay":4,"combinedServiceIndicator":false}
JSON

step "4. Sign POST /v1/consents (key and certificate come from the profile)"
"$XS2A" sign --method POST --url https://api.sandbox.example/v1/consents \
  --body-file consent.json -H 'PSU-IP-Address: 192.0.2.10' --format http --explain > signed.http
cat signed.http; echo

step "5. Verify it as the bank would"
"$XS2A" sign verify signed.http

step "6. A classic mistake: the body pretty-printed after the digest was computed"
python3 - 2>/dev/null <<'PY' || sed 's/,"recurringIndicator"/, "recurringIndicator"/' signed.http > broken.http
import json
raw = open("signed.http", "rb").read()
head, body = raw.split(b"\r\n\r\n", 1)
pretty = json.dumps(json.loads(body), indent=2).encode()
head = b"\r\n".join(l if not l.lower().startswith(b"content-length:") else b"Content-Length: %d" % len(pretty) for l in head.split(b"\r\n"))
open("broken.http", "wb").write(head + b"\r\n\r\n" + pretty)
PY
set +e
"$XS2A" sign verify broken.http
rc=$?
set -e
echo "(exit status $rc: 6 means signature invalid)"

step "Done. Next: xs2a sandbox serve --write-profile local, then xs2a -p local token / consent create / authorize --exchange / accounts list"
