// Signing in the user's own browser wallet (an EIP-1193 provider, window.ethereum): plain JSON-RPC, no library.
// The API stays the judge: it builds what is signed (EIP-712 typed data, or an unsigned transaction checked with
// eth_call first), and checks the signature or the signed transaction again before anything is recorded or sent.
// Wallet failures are zclApp.ApiError with status 0 and a wallet_* code, so pages show them like API errors.
(function () {
  let account = null;

  function provider() { return window.ethereum || null; }

  function walletError(code, message) { return new zclApp.ApiError(0, code, message); }

  // EIP-1193 errors: 4001 the user said no, 4100 not authorised, 4200 / -32601 the method is unsupported.
  async function rpc(method, params) {
    const p = provider();
    if (!p) throw walletError("wallet_missing", "no browser wallet (window.ethereum) in this browser");
    try {
      return await p.request({method, params});
    } catch (error) {
      const code = error && error.code;
      if (code === 4001) throw walletError("wallet_rejected", error.message || "rejected in the wallet");
      if (code === 4200 || code === -32601) throw walletError("wallet_unsupported", `${method}: ${error.message || "unsupported"}`);
      throw walletError("wallet_error", (error && error.message) || String(error));
    }
  }

  async function connect() {
    const accounts = await rpc("eth_requestAccounts", []);
    if (!accounts || !accounts.length) throw walletError("wallet_rejected", "the wallet gave no account");
    account = accounts[0];
    return account;
  }

  // Project steps: the API's EIP-712 typed data for the step at `at`, signed in the wallet, then recorded.
  async function signProjectStep(projectId, values, form) {
    const from = await connect();  // each time: the user may have switched accounts
    const at = Math.floor(Date.now() / 1000);
    const query = new URLSearchParams({step: values.step, at: String(at), note: values.note || "",
                                       evidence_cid: values.evidence_cid || ""});
    const typed = await zclApp.api("GET", `/projects/${projectId}/typed-data?${query}`, undefined, form);
    const signature = await rpc("eth_signTypedData_v4", [from, JSON.stringify(typed)]);
    return zclApp.api("POST", `/projects/${projectId}/steps`,
                      {step: values.step, note: values.note || "", evidence_cid: values.evidence_cid || "", at, signature}, form);
  }

  // An unsigned transaction from the API (`prepared.transaction`), signed by the connected account and relayed by
  // the API (which checks signer, target and an eth_call). Wallets that only send (no eth_signTransaction) send it
  // themselves: the API already ran the call when it built the transaction.
  async function signAndSubmit(prepared, form) {
    const from = await connect();  // each time: the user may have switched accounts
    const tx = Object.assign({}, prepared.transaction, {from});
    let raw;
    try {
      raw = await rpc("eth_signTransaction", [tx]);
    } catch (error) {
      if (error.code !== "wallet_unsupported") throw error;
      return sendFromWallet(tx);
    }
    if (raw && typeof raw === "object") raw = raw.raw;  // some wallets answer {raw, tx}
    return zclApp.api("POST", "/chain/transactions", {raw_transaction: raw}, form);
  }

  async function sendFromWallet(tx) {
    delete tx.nonce;  // the wallet knows the account it sends from
    const hash = await rpc("eth_sendTransaction", [tx]);
    for (let i = 0; i < 600; i++) {
      const receipt = await rpc("eth_getTransactionReceipt", [hash]);
      if (receipt) return {transaction_hash: hash, status: receipt.status === "0x1" ? "success" : "reverted",
                           block_number: parseInt(receipt.blockNumber, 16), sender: tx.from};
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw walletError("wallet_error", `no receipt for ${hash} within 5 minutes`);
  }

  // Retire credits from the connected wallet: `values` as POST /credits/retirements takes them, less the password.
  async function retire(values, form) {
    const body = {token_id: values.token_id, amount: Number(values.amount), reason: values.reason,
                  period_start: Number(values.period_start), period_end: Number(values.period_end)};
    if (values.beneficiary) body.beneficiary = values.beneficiary;
    const prepared = await zclApp.api("POST", "/wallet/retirements", body, form);
    const relayed = await signAndSubmit(prepared, form);
    if (relayed.status !== "success") throw walletError("transaction_reverted", `transaction ${relayed.transaction_hash} reverted`);
    return relayed;
  }

  // A "sign with my wallet / sign on the server" choice at the top of `form`, where both are possible: the
  // wallet needs a provider and the user's address, the server a keystore. The keystore password field is
  // shown (and required) only for the server. Returns {mode()}; "server" when no wallet is possible.
  function toggle(form, user) {
    const password = form.querySelector("input[name=keystore_password]");
    const walletPossible = Boolean(provider() && user.address);
    const serverPossible = Boolean(user.server_key);
    const box = document.createElement("fieldset");
    box.className = "signing";
    box.style.cssText = "display: flex; gap: 16px; align-items: center; border: 1px solid var(--line); border-radius: 4px";
    const row = ` style="flex-direction: row; align-items: center; gap: 4px"`;
    box.innerHTML = `<legend data-i18n="wallet.sign_with"></legend>`
      + `<label${row}><input type="radio" name="signing" value="wallet"><span data-i18n="wallet.mode_wallet"></span></label>`
      + `<label${row}><input type="radio" name="signing" value="server"><span data-i18n="wallet.mode_server"></span></label>`;
    form.insertBefore(box, form.querySelector("h2") ? form.querySelector("h2").nextSibling : form.firstChild);
    for (const el of box.querySelectorAll("[data-i18n]")) el.textContent = zclI18n.t(el.dataset.i18n);  // later: i18n.js
    const radios = box.querySelectorAll("input[name=signing]");
    radios[0].disabled = !walletPossible;
    radios[1].disabled = !serverPossible;
    function apply() {
      const wallet = mode() === "wallet";
      if (password) { password.closest("label").hidden = wallet; password.required = !wallet; password.disabled = wallet; }
      form.dataset.signing = mode();
    }
    function mode() { const c = box.querySelector("input[name=signing]:checked"); return c ? c.value : "server"; }
    radios[walletPossible && !serverPossible ? 0 : 1].checked = true;
    if (!walletPossible && !serverPossible) radios[1].checked = false;
    radios.forEach((r) => r.addEventListener("change", apply));
    box.hidden = !(walletPossible && serverPossible);  // one way only: nothing to choose
    apply();
    return {mode};
  }

  window.zclWallet = {available: () => Boolean(provider()), connect, account: () => account, rpc,
                      signProjectStep, signAndSubmit, retire, toggle};
})();
