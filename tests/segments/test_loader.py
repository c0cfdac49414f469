"""The network model: JSON Schema and reference checks give clear errors with the value's path."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from isms.segments import ModelError, UnknownDevice, UnknownZone, load_model, schema
from isms.segments.loader import load_model_text
from isms.segments.model import FlowRule, SeparationModel

from .conftest import DATA, PLANTED

MINIMAL = """
version: 1
zones:
  - {name: office, segment: lgwan, prefixes: [10.1.0.0/24]}
devices:
  - name: fw
    interfaces:
      - {name: eth0, address: 10.1.0.1/24, zones: [office]}
"""


def _load(text: str):
    return load_model_text(text, source="net.yaml", base_dir=".")


def test_every_model_in_the_tests_is_valid_against_the_published_schema():
    """The schema is a valid Draft 2020-12 schema, and our example models satisfy it."""
    jsonschema.Draft202012Validator.check_schema(schema())
    for path in [*DATA.glob("*.yaml"), *PLANTED.glob("*.yaml")]:
        document = yaml.safe_load(path.read_text())
        for exception in document.get("exceptions", []):
            exception["expires"] = exception["expires"].isoformat()
        jsonschema.Draft202012Validator(schema()).validate(document)


def test_the_planted_model_loads_with_defaults_filled_in():
    """Policy α and the default assumptions apply when the file does not say otherwise."""
    model = load_model(PLANTED / "model.yaml")
    assert model.policy.model is SeparationModel.ALPHA
    assert (model.assumptions.connection_state, model.assumptions.spoofing) == ("new", False)
    assert [z.name for z in model.zones] == [
        "external",
        "sc-proxy",
        "inet-dmz",
        "lgwan-office",
        "mynumber-office",
    ]
    assert model.crossing_points[0].segments == ("lgwan", "internet")
    assert model.exceptions[0].expires.isoformat() == "2026-03-31"


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (MINIMAL.replace("version: 1", "version: 2"), "version", "invalid model: 1 was expected"),
        (
            MINIMAL + "colour: blue\n",
            "(top level)",
            "invalid model: Additional properties are not allowed ('colour' was unexpected)",
        ),
        (
            MINIMAL.replace("segment: lgwan", "segment: LGWAN"),
            "zones[0].segment",
            "invalid model: 'LGWAN' does not match '^[a-z][a-z0-9_]{0,31}$'",
        ),
        (
            MINIMAL.replace("10.1.0.1/24", "10.1.0.1"),
            "devices[0].interfaces[0].address",
            "invalid model: '10.1.0.1' does not match "
            "'^[0-9]{1,3}(\\\\.[0-9]{1,3}){3}/[0-9]{1,2}$'",
        ),
        (
            MINIMAL.replace("version: 1\n", ""),
            "(top level)",
            "invalid model: 'version' is a required property",
        ),
    ],
)
def test_schema_errors_name_the_path_of_the_bad_value(text, path, message):
    """Shape errors come from the JSON Schema, with the JSON path and a hint."""
    with pytest.raises(ModelError) as caught:
        _load(text)
    assert (caught.value.path, caught.value.message) == (path, message)
    assert caught.value.hint


@pytest.mark.parametrize(
    ("text", "error", "path", "message"),
    [
        (
            MINIMAL.replace("zones: [office]", "zones: [ofice]"),
            UnknownZone,
            "devices[0].interfaces[0].zones[0]",
            "unknown zone 'ofice'",
        ),
        (
            MINIMAL.replace("segment: lgwan", "segment: dmz"),
            ModelError,
            "zones[0].segment",
            "unknown segment 'dmz'",
        ),
        (
            MINIMAL.replace("10.1.0.0/24", "10.1.0.5/24"),
            ModelError,
            "zones[0].prefixes[0]",
            "'10.1.0.5/24' is not an IPv4 prefix (or has host bits set)",
        ),
        (
            MINIMAL + "security_cloud: {name: sc, devices: [gw]}\n",
            UnknownDevice,
            "security_cloud.devices[0]",
            "unknown device 'gw'",
        ),
        (
            MINIMAL.replace(
                "zones: [office]}",
                "zones: [office]}\n    routes: [{prefix: 0.0.0.0/0, via: 10.9.9.9}]",
            ),
            ModelError,
            "devices[0].routes[0].via",
            "gateway 10.9.9.9 is on no subnet of fw's interfaces",
        ),
        (
            MINIMAL.replace(
                "  - {name: office",
                "  - {name: twin, segment: lgwan, prefixes: [10.1.0.0/24]}\n  - {name: office",
            ),
            ModelError,
            "zones[1].prefixes[0]",
            "zones 'twin' and 'office' claim the same prefix",
        ),
    ],
)
def test_reference_errors_name_the_path_and_the_missing_name(text, error, path, message):
    """Checks the schema cannot make: references, prefixes, gateways, duplicate prefixes."""
    with pytest.raises(error) as caught:
        _load(text)
    assert (caught.value.path, caught.value.message) == (path, message)


EXCEPTION = """
exceptions:
  - id: EX-1
    source: [{source}]
    destination: [10.1.0.9/32]
    services: [{service}]
    reason: r
    approver: CISO
    expires: 2026-03-31
"""


@pytest.mark.parametrize(
    ("source", "service", "path", "message"),
    [
        (
            "0.0.0.0/0",
            "{protocol: tcp, ports: [443]}",
            "exceptions[0].source[0]",
            "an exception must be restricted to specific addresses",
        ),
        (
            "10.1.0.8/32",
            "{protocol: tcp}",
            "exceptions[0].services[0]",
            "an exception must be restricted to a protocol and its ports",
        ),
        (
            "10.1.0.8/32",
            "{protocol: any}",
            "exceptions[0].services[0]",
            "an exception must be restricted to a protocol and its ports",
        ),
    ],
)
def test_exceptions_must_be_restricted_by_address_and_port(source, service, path, message):
    """例外措置 for mynumber are restricted by endpoint and port: wildcards are refused."""
    with pytest.raises(ModelError) as caught:
        _load(MINIMAL + EXCEPTION.format(source=source, service=service))
    assert (caught.value.path, caught.value.message) == (path, message)


def test_broken_yaml_gives_line_and_column():
    """A YAML syntax error names its line and column."""
    with pytest.raises(ModelError) as caught:
        _load("version: 1\nzones: [\n")
    assert caught.value.path.startswith("line 3, column")
    assert caught.value.message.startswith("not valid YAML")


def test_a_missing_model_file_is_a_model_error(tmp_path):
    """Reading a file that is not there raises ModelError, not OSError."""
    with pytest.raises(ModelError) as caught:
        load_model(tmp_path / "nope.yaml")
    assert caught.value.message.startswith("cannot read the model")


def test_a_custom_matrix_overrides_cells():
    """Matrix cells in the file override the model's defaults."""
    model = _load(
        MINIMAL + "policy:\n  model: custom\n  matrix: [{from: lgwan, to: external, rule: allow}]\n"
    )
    assert model.policy.model is SeparationModel.CUSTOM
    assert model.policy.matrix[0].rule is FlowRule.ALLOW
