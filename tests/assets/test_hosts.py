"""Host names and IP addresses/ranges of an asset: normalised, refused when invalid, journaled."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from isms.assets import services
from isms.assets.hosts import normalise_host_name, normalise_network, parse_network, range_bounds
from isms.assets.models import AssetHost
from isms.core.models import JournalEntry
from tests.assets.factories import fresh, make_register


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def reg(tsuru):
    return make_register(tsuru)


networks = st.one_of(
    st.ip_addresses(v=4).flatmap(
        lambda a: st.integers(0, 32).map(lambda p: ipaddress.ip_network(f"{a}/{p}", strict=False))
    ),
    st.ip_addresses(v=6).flatmap(
        lambda a: st.integers(0, 128).map(lambda p: ipaddress.ip_network(f"{a}/{p}", strict=False))
    ),
)


@given(networks)
def test_a_normalised_network_normalises_to_itself(network):
    text = normalise_network(str(network))
    assert text == str(network)
    assert normalise_network(text) == text


@given(st.ip_addresses())
def test_a_single_address_is_a_one_address_network(address):
    network = parse_network(str(address))
    assert network.num_addresses == 1 and network.network_address == address


@given(networks)
def test_the_range_bounds_are_the_first_and_last_address_in_sortable_hex(network):
    version, start, end = range_bounds(network)
    assert version == network.version
    assert len(start) == len(end) == (8 if version == 4 else 32)
    assert int(start, 16) == int(network.network_address)
    assert int(end, 16) == int(network.broadcast_address)
    assert start <= end


@given(st.ip_addresses(v=4), st.integers(0, 31))
def test_a_prefix_with_host_bits_is_refused_with_the_network_it_belongs_to(address, prefix):
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    if network.network_address == address:
        return  # no host bits set: a valid range
    with pytest.raises(ValidationError) as caught:
        parse_network(f"{address}/{prefix}")
    assert caught.value.error_dict["network"][0].code == "host_bits"
    assert str(network) in caught.value.message_dict["network"][0]


def test_full_width_input_is_read():
    assert normalise_network("１９２．１６８．０．０／１６") == "192.168.0.0/16"


@pytest.mark.parametrize("text", ["192.168.1.300", "10.0.0.0/33", "abc", "10.0.0.1-10.0.0.9"])
def test_garbage_is_refused_with_how_to_write_an_address(text):
    with pytest.raises(ValidationError) as caught:
        parse_network(text)
    assert caught.value.message_dict == {
        "network": [
            f"“{text}” is not an IP address or range. Write an address such as 192.0.2.7 or a "
            "range such as 192.0.2.0/24."
        ]
    }


def test_host_names_are_lower_cased_and_checked():
    assert normalise_host_name(" JUKI-SV01.Tsuru.LG.JP. ") == "juki-sv01.tsuru.lg.jp"
    with pytest.raises(ValidationError) as caught:
        normalise_host_name("bad_name")
    assert list(caught.value.message_dict) == ["host_name"]


def test_a_manager_adds_a_host_and_it_is_journaled(reg):
    host = services.add_host(
        fresh(reg.manager), reg.asset, host_name="Juki-SV01", network="10.1.2.0/24"
    )
    stored = AssetHost.objects.get(pk=host.pk)
    assert (stored.host_name, stored.network, stored.ip_version) == ("juki-sv01", "10.1.2.0/24", 4)
    assert (stored.range_start, stored.range_end) == ("0a010200", "0a0102ff")
    entry = JournalEntry.objects.get(action="asset.host_add")
    assert entry.after == {
        "asset": reg.asset.pk,
        "host_name": "juki-sv01",
        "network": "10.1.2.0/24",
    }


def test_an_invalid_range_saves_nothing(reg):
    before = (AssetHost.objects.count(), JournalEntry.objects.count())
    with pytest.raises(ValidationError) as caught:
        services.add_host(fresh(reg.manager), reg.asset, network="10.1.2.3/24")
    assert caught.value.message_dict == {
        "network": [
            "“10.1.2.3/24” has host bits set: the range it belongs to is 10.1.2.0/24. Enter the "
            "range as 10.1.2.0/24, or the single address without a prefix length."
        ]
    }
    assert (AssetHost.objects.count(), JournalEntry.objects.count()) == before


def test_a_host_needs_a_name_or_an_address(reg):
    with pytest.raises(ValidationError) as caught:
        services.add_host(fresh(reg.manager), reg.asset)
    assert caught.value.message_dict == {
        "network": ["Give a host name, an IP address or range, or both."]
    }


def test_the_same_host_twice_is_refused(reg):
    services.add_host(None, reg.asset, network="10.0.0.1")
    with pytest.raises(ValidationError) as caught:
        services.add_host(None, reg.asset, network="10.0.0.1/32")
    assert caught.value.message_dict == {
        "network": ["This host is already recorded for the asset."]
    }


def test_a_manager_of_another_division_cannot_add_or_remove_hosts(reg):
    host = services.add_host(None, reg.asset, network="10.0.0.1")
    with pytest.raises(PermissionDenied):
        services.add_host(fresh(reg.other_manager), reg.asset, network="10.0.0.2")
    with pytest.raises(PermissionDenied):
        services.remove_host(fresh(reg.other_manager), host)
    assert list(AssetHost.objects.values_list("network", flat=True)) == ["10.0.0.1/32"]


def test_removing_a_host_is_journaled(reg):
    host = services.add_host(None, reg.asset, host_name="pc01")
    services.remove_host(fresh(reg.manager), host)
    assert not AssetHost.objects.exists()
    entry = JournalEntry.objects.get(action="asset.host_remove")
    assert entry.before == {"asset": reg.asset.pk, "host_name": "pc01", "network": ""}
