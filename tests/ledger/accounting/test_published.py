"""Published definitions never change under the same (id, version): their hashes are pinned here.

If one of these fails, a shipped factor set or methodology was edited. Publish a new version instead —
results already on chain name the old hash, and an auditor must still be able to reproduce them.
"""

from __future__ import annotations

import pytest

from ledger.accounting.published import FACTOR_SETS, METHODOLOGIES

PINNED_FACTOR_SETS = {
    ("xihuamen-seed", "2022.1"): "72d04aaf1777dd6c68187888c62231cd9c9d66da8d38d52e072be3847ce6fc36",
    ("cn-mee-grid", "2022"): "654110f0ac40769eb2c1b9548c3e400a24fa678289ee8a501171e7c91f1abf90",
    ("fuels", "2006.1"): "7dbcaa2e24329b58cd8362659876ddf09751584f8077c9288e85d52c16d5c4cd",
    ("travel-modes", "2018.1"): "93b969a7d90c31ab0872eb820641efaa007dc78ac9600efc0abca88861de46ee",
    ("cn-public-institution", "2022.1"): "3740ae4238900e56ce969441acd3677278f4a714e6dad82a8b31bfc9687624e3",
}
PINNED_METHODOLOGIES = {
    ("xihuamen-measures", "1"): "98af62c71a2e8274ee69439275976ae8f0c146bb252402b8d5b68147dd9d2a9b",
    ("public-institution-inventory", "1"): "6f022b1f50a735aa39566d648ddacbe777d697debbf10a11966af30690575a53",
    ("zero-carbon-meeting", "1"): "45a4264371038771747cdc94cd77d8715feeb8d5da041e2a06f763bc84dbe87d",
}


@pytest.mark.parametrize("key", sorted(FACTOR_SETS), ids="@".join)
def test_published_factor_set_hash_is_pinned(key: tuple[str, str]) -> None:
    assert FACTOR_SETS[key].content_hash == PINNED_FACTOR_SETS[key]


@pytest.mark.parametrize("key", sorted(METHODOLOGIES), ids="@".join)
def test_published_methodology_hash_is_pinned(key: tuple[str, str]) -> None:
    assert METHODOLOGIES[key].content_hash == PINNED_METHODOLOGIES[key]


def test_every_published_definition_is_pinned() -> None:
    assert set(FACTOR_SETS) == set(PINNED_FACTOR_SETS) and set(METHODOLOGIES) == set(PINNED_METHODOLOGIES)
