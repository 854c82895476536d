// The batch page's verify action: the server encodes the (possibly edited) reading with ledger/encoding.py
// and asks the AttestationLedger contract and ledger/merkle.py; this script only sends the form and shows the answer.
(function () {
  const form = document.getElementById("verify-form");
  const out = document.getElementById("verify-result");
  const index = document.getElementById("verify-index");
  const value = document.getElementById("verify-value");

  function show(check) {
    out.className = check.valid ? "ok" : "bad";
    out.dataset.valid = String(check.valid);
    const what = check.tampered ? `value ${check.checked_value} (evidence says ${check.original_value})` : `value ${check.checked_value}`;
    out.innerHTML = "";
    const head = document.createElement("p");
    head.textContent = (check.valid ? "VALID: " : "INVALID: ") + `reading #${check.index}, ${what}.`;
    const list = document.createElement("ul");
    for (const [label, ok] of [["root anchored on chain", check.anchored],
                               ["contract verifyReadingBytes (leaf + Merkle proof)", check.onchain_valid],
                               ["Merkle proof recomputed off-chain", check.offchain_valid],
                               ["Ed25519 signature against the registry's key", check.signature_valid]]) {
      const item = document.createElement("li");
      item.textContent = `${ok ? "✔" : "✘"} ${label}`;
      list.appendChild(item);
    }
    const leaf = document.createElement("p");
    leaf.className = "mono";
    leaf.textContent = `leaf ${check.leaf} · root ${check.root} · proof of ${check.proof.length} hashes`;
    out.append(head, list, leaf);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    out.className = "";
    out.textContent = "checking…";
    const response = await fetch(`/explorer/api/batch/${form.dataset.root}/verify`, {
      method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({index: Number(index.value), value: value.value}),
    });
    const body = await response.json();
    if (!response.ok) {
      out.className = "bad";
      out.dataset.valid = "error";
      // every error has the one body {"error": {"code", "message", "details"}} (api/errors.py)
      const error = body.error || {};
      const detail = [error.message, ...(Array.isArray(error.details) ? error.details : []).map((d) => d.msg)]
        .filter(Boolean).join(": ") || response.statusText;
      out.textContent = `Cannot check: ${detail}`;
      return;
    }
    show(body);
  });

  for (const button of document.querySelectorAll("button.pick")) {
    button.addEventListener("click", () => {
      index.value = button.dataset.index;
      value.value = button.dataset.value;
      form.requestSubmit();
    });
  }
})();
