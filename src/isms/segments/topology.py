"""The model resolved for forwarding: interfaces indexed, routes with their next device, zones.

Both engines (symbolic ``reach.py`` and packet-by-packet ``evaluate.py``) forward the same way:

1. A packet arriving on an interface that is the packet's own device address is "traffic to
   the device itself" and leaves the analysis (assumption).
2. Routes are matched longest prefix first; connected subnets are routes too; equal prefixes
   of the same length are equal-cost paths and are all followed.
3. A route whose gateway is another device's interface address hands the packet to that
   device. Otherwise the packet leaves through the interface: it is delivered to the zone that
   owns its destination address (the zone with the most specific prefix) if that zone is
   attached to the interface, goes to another device's own address on the link (out of
   scope), or leaves the modelled network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from isms.segments.addresses import prefix_range
from isms.segments.errors import ModelError
from isms.segments.model import Device, NetworkModel, Zone
from isms.segments.rules import Ruleset

__all__ = ["DeviceInfo", "IfaceInfo", "RouteEntry", "Topology", "build_topology"]


@dataclass(frozen=True)
class IfaceInfo:
    """An interface with its index in the device's interface variables (1-based)."""

    name: str
    index: int
    address: int
    subnet: tuple[int, int]
    zones: tuple[str, ...]


@dataclass(frozen=True)
class RouteEntry:
    """A resolved route: prefix range, egress interface, gateway and the device behind it."""

    first: int
    last: int
    length: int
    iface: str
    gateway: int | None
    peer: tuple[str, str] | None
    connected: bool
    text: str


@dataclass(frozen=True)
class DeviceInfo:
    """A device ready for forwarding."""

    name: str
    ruleset: Ruleset | None
    ifaces: dict[str, IfaceInfo]
    routes: tuple[RouteEntry, ...]
    own: frozenset[int]
    security_cloud: bool

    def iface_by_index(self, index: int) -> IfaceInfo:
        """Return the interface with this variable index."""
        return next(i for i in self.ifaces.values() if i.index == index)


@dataclass(frozen=True)
class Topology:
    """Devices, zones, and the attachment points where zones send their traffic."""

    devices: dict[str, DeviceInfo]
    zones: dict[str, Zone]
    zone_index: dict[str, int]
    attachments: tuple[tuple[str, str, str], ...]
    address_owner: dict[int, tuple[str, str]]

    def zone_of(self, address: int) -> str | None:
        """Return the zone owning an address (most specific prefix), or None."""
        best: tuple[int, str] | None = None
        for zone in self.zones.values():
            for network, length in zone.prefixes:
                lo, hi = prefix_range(network, length)
                if lo <= address <= hi and (best is None or length > best[0]):
                    best = (length, zone.name)
        return best[1] if best else None


def build_topology(model: NetworkModel, rulesets: dict[str, Ruleset]) -> Topology:
    """Resolve the model; ``rulesets`` maps device names to their parsed rule sets."""
    owner: dict[int, tuple[str, str]] = {}
    for device in model.devices:
        for iface in device.interfaces:
            owner[iface.address] = (device.name, iface.name)
    devices = {d.name: _device(model, d, rulesets.get(d.name), owner) for d in model.devices}
    cloud_devices = set(model.security_cloud.devices) if model.security_cloud else set()
    for name in cloud_devices:
        info = devices[name]
        devices[name] = DeviceInfo(
            info.name, info.ruleset, info.ifaces, info.routes, info.own, True
        )
    attachments = tuple(
        (zone, device.name, iface.name)
        for device in model.devices
        for iface in device.interfaces
        for zone in iface.zones
    )
    zones = {z.name: z for z in model.zones}
    zone_index = {z.name: i for i, z in enumerate(model.zones)}
    return Topology(devices, zones, zone_index, attachments, owner)


def _device(
    model: NetworkModel, device: Device, ruleset: Ruleset | None, owner: dict[int, tuple[str, str]]
) -> DeviceInfo:
    ifaces = {}
    for index, iface in enumerate(device.interfaces, start=1):
        subnet = prefix_range(iface.address, iface.prefix_length)
        ifaces[iface.name] = IfaceInfo(iface.name, index, iface.address, subnet, iface.zones)
    routes: list[RouteEntry] = []
    for declared in device.interfaces:
        first, last = ifaces[declared.name].subnet
        routes.append(
            RouteEntry(
                first,
                last,
                declared.prefix_length,
                declared.name,
                None,
                None,
                True,
                f"connected {declared.name}",
            )
        )
    for i, route in enumerate(device.routes):
        first, last = prefix_range(*route.prefix)
        if route.via is not None:
            on_link = [
                name
                for name, info in ifaces.items()
                if info.subnet[0] <= route.via <= info.subnet[1]
                and (route.interface is None or route.interface == name)
            ]
            if not on_link:
                raise ModelError(
                    f"gateway of route {i} is not on interface {route.interface}",
                    source=model.source,
                    path=f"devices[{device.name}].routes[{i}]",
                    hint="the gateway must sit in the subnet of the named interface",
                )
            egress = on_link[0]
            peer = owner.get(route.via)
            if peer is not None and peer[0] == device.name:
                raise ModelError(
                    f"route {i} of {device.name} points at the device's own address",
                    source=model.source,
                    path=f"devices[{device.name}].routes[{i}].via",
                    hint="give the address of the next router",
                )
            routes.append(
                RouteEntry(
                    first, last, route.prefix[1], egress, route.via, peer, False, f"route {i}"
                )
            )
        else:
            assert route.interface is not None
            routes.append(
                RouteEntry(
                    first, last, route.prefix[1], route.interface, None, None, True, f"route {i}"
                )
            )
    own = frozenset(i.address for i in ifaces.values())
    return DeviceInfo(device.name, ruleset, ifaces, tuple(routes), own, device.security_cloud)


def ruleset_path(model: NetworkModel, file: str, *, where: str = "") -> Path:
    """Return the path of a file named in the model (``where``: its JSON path, for errors).

    In a ``confined`` model the file must lie inside the model's folder (no absolute path, no
    ``..`` or symbolic link leading out of it).
    """
    path = Path(file)
    if not model.confined:
        return path if path.is_absolute() else Path(model.base_dir) / path
    base = Path(model.base_dir).resolve()
    resolved = (base / path).resolve()
    if path.is_absolute() or not resolved.is_relative_to(base):
        raise ModelError(
            f"'{file}' lies outside the folder of the model",
            source=model.source,
            path=where,
            hint="name files by paths relative to the model file, inside its folder",
            message_ja=f"'{file}' はモデルのフォルダの外にある",
            hint_ja="モデルファイルのフォルダ内のファイルを、相対パスで指定してください",
        )
    return resolved
