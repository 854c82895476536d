"""`make demo`: the whole platform on one machine, as a small supervisor.

    layout.py    the demo's data dir, ports, accounts and files (one place)
    chain.py     anvil with its state on disk; deploy once, detect an older deployment
    compound.py  Sichuan → Chengdu → Qingyang → Xihuamen, its buildings, its 170 devices and their keys
    clock.py     the demo's calendar: 2022, the year the published factor sets cover
    replay.py    the seed's year through the oracle node, fast, once
    workflows.py a result submitted and verified, and a certification flow, so those pages have content
    users.py     one demo login per role, passwords generated once
    live.py      simulator → MQTT (or JSONL) → `zcl oracle run`, `zcl index --follow`, the API: child processes
    meters.py    the live simulator process (`python -m scripts.demo.meters`)
    readiness.py what "usable" means: dashboard data, a login, the latest batch in the explorer
    console.py   what the person at the terminal sees
"""
