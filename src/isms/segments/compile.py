"""Compile rule conditions and whole chains into BDDs.

A chain is folded from its last rule to its first into a *decision*: for each outcome
(``accept``, ``drop``, or a NAT rewrite) the set of packets the chain sends there. For a rule
``m → o`` the decision before it is ``ite(m, [k == o], after[k])`` for every outcome ``k``; a jump
to a user chain X uses X's own decision and falls through where X returns. Base chains end in
their policy, so their decision covers every packet. Interfaces stay symbolic (``i*``/``e*``), so
one fold per chain serves every (input, output) interface pair of the device: the engine fixes
them with ``let``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from isms.segments._bdd import Node
from isms.segments.addresses import range_to_prefixes
from isms.segments.rules import (
    CONN_STATES,
    FIELD_WIDTH,
    FIRST_PACKET_FLAGS,
    AnyOf,
    Chain,
    Condition,
    Const,
    Field,
    FlagsMatch,
    InterfaceMatch,
    Jump,
    Nat,
    RangeMatch,
    Rule,
    Ruleset,
    Stage,
    StateMatch,
    Verdict,
)
from isms.segments.space import Space
from isms.segments.topology import DeviceInfo

__all__ = ["ChainFolder", "Decisions", "OutcomeKey", "RuleCompiler", "outcome_key"]

OutcomeKey = str | Nat
Decisions = dict[OutcomeKey, Node]
"""Outcome → packets. In a base chain ``drop`` is implicit: packets no other outcome holds."""
ACCEPT = "accept"
DROP = "drop"
# observer(chain, rule index, rule, its match, decision of the rules after it)
Observer = Callable[[Chain, int, Rule, Node, Decisions], None]


def outcome_key(action: Verdict | Nat) -> OutcomeKey:
    """Return the decision key of a terminal action (REJECT counts as drop)."""
    if isinstance(action, Nat):
        return action
    return ACCEPT if action is Verdict.ACCEPT else DROP


class RuleCompiler:
    """Turn conditions into BDDs over the ``c_*``, protocol, state and interface variables."""

    def __init__(self, space: Space, device: DeviceInfo | None):
        self.space = space
        names: list[str | None] = [None]
        if device is not None:
            ordered = sorted(device.ifaces.values(), key=lambda i: i.index)
            names += [i.name for i in ordered]
        self.iface_names = names
        self._conditions: dict[Condition, Node] = {}
        self._rules: dict[int, Node] = {}

    def condition(self, condition: Condition) -> Node:
        """Return the set of packets a condition holds for."""
        cached = self._conditions.get(condition)
        if cached is not None:
            return cached
        space = self.space
        result: Node
        if isinstance(condition, RangeMatch):
            result = space.ranges(condition.field, condition.ranges)
            result = ~result if condition.negated else result
        elif isinstance(condition, AnyOf):
            result = space.false
            for option in condition.options:
                result = result | self.condition(option)
            result = ~result if condition.negated else result
        elif isinstance(condition, InterfaceMatch):
            result = space.false
            for index, name in enumerate(self.iface_names):
                if condition.holds(name):
                    result = result | space.iface(condition.direction, index)
        elif isinstance(condition, StateMatch):
            result = space.false
            for state in CONN_STATES:
                if condition.holds(state):
                    result = result | space.state(state)
        elif isinstance(condition, FlagsMatch):
            result = space.true if condition.holds(FIRST_PACKET_FLAGS) else space.false
        else:
            assert isinstance(condition, Const)
            result = space.true if condition.value else space.false
        self._conditions[condition] = result
        return result

    def match(self, rule: Rule) -> Node:
        """Return the set of packets all of a rule's conditions hold for."""
        cached = self._rules.get(id(rule))
        if cached is not None:
            return cached
        space = self.space
        # Fast path: conditions that pin a prefix of a field's bits (an address prefix, one
        # protocol, one port) together form a single cube, built in one call.
        assignment: dict[str, bool] = {}
        rest: list[Condition] = []
        contradiction = False
        for condition in rule.conditions:
            block = _single_block(condition)
            if block is None:
                rest.append(condition)
                continue
            field, start, length = block
            names = space.bits(field)
            width = FIELD_WIDTH[field]
            for i in range(length):
                bit = bool((start >> (width - 1 - i)) & 1)
                if assignment.setdefault(names[i], bit) != bit:
                    contradiction = True
        result = (
            space.false
            if contradiction
            else (space.bdd.cube(assignment) if assignment else space.true)
        )
        for condition in rest:
            if result == space.false:
                break
            result = result & self.condition(condition)
        self._rules[id(rule)] = result
        return result


class ChainFolder:
    """Fold chains of one rule set into decisions, memoised per chain."""

    def __init__(self, ruleset: Ruleset, compiler: RuleCompiler, observer: Observer | None = None):
        self.ruleset = ruleset
        self.compiler = compiler
        self.observer = observer
        self._user: dict[tuple[str, str], Decisions] = {}
        self._base: dict[tuple[str, str], Decisions] = {}

    def stage(self, stage: Stage) -> Decisions:
        """Return the decision of a base chain (every packet gets an outcome)."""
        key = (stage.table, stage.chain)
        if key not in self._base:
            chain = self.ruleset.chain(*key)
            self._base[key] = self._fold(chain, chain.policy or Verdict.ACCEPT)
        return self._base[key]

    def user(self, table: str, name: str) -> Decisions:
        """Return the decision of a user chain (packets it returns have no outcome)."""
        key = (table, name)
        if key not in self._user:
            self._user[key] = self._fold(self.ruleset.chain(table, name), None)
        return self._user[key]

    def _fold(self, chain: Chain, policy: Verdict | None) -> Decisions:
        bdd = self.compiler.space.bdd
        true, false = bdd.true, bdd.false
        policy_key = outcome_key(policy) if policy is not None else None
        # In a base chain every packet gets an outcome, so "drop" is left implicit: the packets
        # no other outcome holds. That halves the work of the common accept/drop chain.
        implicit = DROP if policy is not None else None
        decisions: Decisions = {}
        if policy_key is not None and policy_key != implicit:
            decisions[policy_key] = true
        for index in range(len(chain.rules) - 1, -1, -1):
            rule = chain.rules[index]
            action = rule.action
            if action is None:
                continue
            m = self.compiler.match(rule)
            if self.observer is not None:
                self.observer(chain, index, rule, m, decisions)
            if m == false:
                continue
            new: Decisions = {}
            if isinstance(action, Jump):
                target = self.user(chain.table, action.chain)
                decided = _union(false, target.values())
                keys = set(decisions) | set(target)
                if policy_key is not None:
                    keys.add(policy_key)
                keys.discard(implicit)
                # Packets the target decides take its outcome; the ones it returns continue
                # here (jump) or take this chain's return (goto).
                guard = m if action.goto else m & decided
                for key in keys:
                    inner = target.get(key, false)
                    if action.goto and key == policy_key:
                        inner = inner | ~decided
                    new[key] = bdd.ite(guard, inner, decisions.get(key, false))
            else:
                outcome = policy_key if action is Verdict.RETURN else outcome_key(action)
                keys = set(decisions)
                if outcome is not None:
                    keys.add(outcome)
                keys.discard(implicit)
                for key in keys:
                    new[key] = bdd.ite(
                        m, true if key == outcome else false, decisions.get(key, false)
                    )
            decisions = {key: value for key, value in new.items() if value != false}
        return decisions


def _single_block(condition: Condition) -> tuple[Field, int, int] | None:
    """Return ``(field, start, prefix length)`` when a condition is one aligned block."""
    if not isinstance(condition, RangeMatch) or condition.negated or len(condition.ranges) != 1:
        return None
    lo, hi = condition.ranges[0]
    width = FIELD_WIDTH[condition.field]
    blocks = range_to_prefixes(lo, hi, width)
    if len(blocks) != 1:
        return None
    start, length = blocks[0]
    return condition.field, start, length


def _union(false: Node, nodes: Iterable[Node]) -> Node:
    result = false
    for node in nodes:
        result = result | node
    return result
