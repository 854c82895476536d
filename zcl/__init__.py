"""The `zcl` command line: one module per command group, each a thin layer over ledger/ and oracles/."""
