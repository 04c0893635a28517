import pytest

from gigawatt import load_catalog
from gigawatt.catalog import Entry

REQUIRED = {
    "a100",
    "h100",
    "h200",
    "b200",
    "b300",
    "gb200-nvl72",
    "gb300-nvl72",
    "vera-rubin-nvl144",
    "mi300x",
    "mi355x",
    "mi450",
    "tpu-v6e",
    "tpu-v7",
    "trainium2",
    "trainium3",
}
REQUIRED_SITES = {
    "abilene",
    "shackelford",
    "dona-ana",
    "port-washington",
    "lordstown",
    "milam",
    "stargate-norway",
    "stargate-uae",
    "stargate-india",
    "meta-prometheus",
    "meta-hyperion",
    "xai-colossus-1",
    "xai-colossus-2",
    "microsoft-fairwater-wisconsin",
    "amazon-rainier",
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_required_accelerators(catalog):
    assert set(catalog.accelerators) >= REQUIRED


def test_required_sites(catalog):
    assert set(catalog.sites.data["sites"]) >= REQUIRED_SITES


def entries(catalog):
    for acc_id, acc in catalog.accelerators.items():
        for name in type(acc).model_fields:
            value = getattr(acc, name)
            if isinstance(value, Entry):
                yield f"accelerators.{acc_id}.{name}", value
    for section, items in catalog.costs.items():
        for key, value in items.items():
            yield f"{section}.{key}", value


def test_every_number_is_sourced_with_publication_date_url(catalog):
    count = 0
    for path, entry in entries(catalog):
        count += 1
        assert entry.source, path
        for sid in entry.source:
            source = catalog.sources[sid]
            assert source.publication and source.date and source.url.startswith("http"), (path, sid)
    assert count > 100


def test_ranges_bracket_values(catalog):
    for path, entry in entries(catalog):
        if entry.low is not None:
            assert entry.low <= entry.value <= entry.high, path
            dist = entry.dist()
            assert dist.low == entry.low and dist.high == entry.high


def test_it_power_covers_chip_and_is_not_facility(catalog):
    for acc_id, acc in catalog.accelerators.items():
        assert acc.it_power_w.value >= acc.chip_tdp_w.value, acc_id
        # all-in IT watts stay under ~2x the chip (facility figures run 2.4x; Epoch 2025)
        assert acc.it_power_w.value <= 2.2 * acc.chip_tdp_w.value, acc_id


def test_huang_4_to_5_million_gpus_for_10_gw(catalog):
    """Seed: 10 GW ≈ 4–5 million GPUs; our GB200 figures must land there."""
    acc = catalog.accelerators["gb200-nvl72"]
    pue = catalog.cost("pue", "liquid").value
    gpus = 10_000 / pue * 1e6 / acc.it_power_w.value
    assert 4.0e6 <= gpus <= 5.5e6


def test_unknown_cost_names_the_known_ones(catalog):
    with pytest.raises(KeyError, match="known"):
        catalog.cost("pue", "immersion-vapour")
