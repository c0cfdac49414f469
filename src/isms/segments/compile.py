"""Compile rule conditions and whole chains into BDDs.

A chain is folded from its last rule to its first into a *decision*: for each outcome
(``accept``, ``drop``, or a NAT rewrite) the set of packets the chain sends there. For a rule
``m → o`` the decision before it is ``ite(m, [k == o], after[k])`` for every outcome ``k``; a jump
to a user chain X uses X's own decision and falls through where X returns. Base chains end in
their policy, so their decision covers every packet. Interfaces stay symbolic (``i*``/``e*``), so
one fold per chain serves every (input, output) interface pair of the device: the engine fixes
them with ``let``.

The engine folds a chain for a *scope* (``scope.py``): only the rules that may match a packet of
the scope's box, found through a per-chain index. That decision is exact on the box only; the
whole chain's decision (the one the rule analysis observes) is exact everywhere, and serves a
scope too when scoping would not save work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from isms.segments._bdd import Node
from isms.segments.rules import (
    CONN_STATES,
    FIRST_PACKET_FLAGS,
    AnyOf,
    Chain,
    Condition,
    Const,
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
from isms.segments.scope import MIN_INDEXED, RuleIndex, Scope
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
WORK_LIMIT = 4
"""Scoped folds of a long chain may fold this many times its rules before the whole chain is
folded once and serves every later box."""


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
        # Memo by identity: parsers hand out one object per distinct condition, and hashing a
        # condition (a dataclass with an enum) costs several times a lookup by id.
        # Each entry keeps its condition alive, so an id is never reused while it is cached.
        self._conditions: dict[int, tuple[Condition, Node, int]] = {}
        self._rules: dict[int, Node] = {}

    def condition(self, condition: Condition) -> Node:
        """Return the set of packets a condition holds for."""
        return self._entry(condition)[1]

    def _entry(self, condition: Condition) -> tuple[Condition, Node, int]:
        """Return ``(condition, its BDD, level of its topmost variable)``, memoised."""
        cached = self._conditions.get(id(condition))
        if cached is not None:
            return cached
        space = self.space
        result: Node
        level = 0
        if isinstance(condition, RangeMatch):
            result = space.ranges(condition.field, condition.ranges)
            result = ~result if condition.negated else result
            level = space.level(condition.field)
        elif isinstance(condition, AnyOf):
            result = space.false
            level = min((space.level(o.field) for o in condition.options), default=0)
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
        entry = (condition, result, level)
        self._conditions[id(condition)] = entry
        return entry

    def match(self, rule: Rule, *, keep: bool = True) -> Node:
        """Return the set of packets all of a rule's conditions hold for.

        ``keep=False`` does not memoise the result (the fold needs each match once; keeping
        100,000 of them alive only makes the BDD tables larger).
        """
        cached = self._rules.get(id(rule))
        if cached is not None:
            return cached
        space = self.space
        entries = [self._entry(condition) for condition in rule.conditions]
        # Conjoin from the deepest condition up: a conjunction copies the path of its upper
        # operand onto the lower one, so every node of the result is built once.
        entries.sort(key=_level, reverse=True)
        result = space.true
        false = space.false
        for entry in entries:
            result = entry[1] & result
            if result == false:
                break
        if keep:
            self._rules[id(rule)] = result
        return result


def _level(entry: tuple[Condition, Node, int]) -> int:
    return entry[2]


class ChainFolder:
    """Fold chains of one rule set into decisions, memoised per chain (and per scope)."""

    def __init__(self, ruleset: Ruleset, compiler: RuleCompiler, observer: Observer | None = None):
        self.ruleset = ruleset
        self.compiler = compiler
        self.observer = observer
        self._user: dict[tuple[str, str], Decisions] = {}
        self._base: dict[tuple[str, str], Decisions] = {}
        self._scoped: dict[tuple[str, str, bool, Scope], Decisions] = {}
        self._dead: dict[tuple[str, str], frozenset[int]] = {}
        self._indexes: dict[tuple[str, str], RuleIndex] = {}
        self._work: dict[tuple[str, str], int] = {}  # rules folded for scopes, per chain

    def stage(self, stage: Stage, scope: Scope | None = None) -> Decisions:
        """Return the decision of a base chain (every packet gets an outcome).

        With a ``scope`` the decision is exact only on the packets of its box (``scope.node``):
        rules that match none of them are left out (see ``scope.py``).
        """
        chain = self.ruleset.chain(stage.table, stage.chain)
        policy = chain.policy or Verdict.ACCEPT
        if scope is not None:
            return self._scoped_fold(chain, policy, scope)
        return self._whole(chain, policy)

    def folded(self, stage: Stage) -> Decisions | None:
        """Return the whole decision of a base chain if it was folded already, else None."""
        return self._base.get((stage.table, stage.chain))

    def user(self, table: str, name: str, scope: Scope | None = None) -> Decisions:
        """Return the decision of a user chain (packets it returns have no outcome)."""
        chain = self.ruleset.chain(table, name)
        if scope is not None:
            return self._scoped_fold(chain, None, scope)
        return self._whole(chain, None)

    def _whole(self, chain: Chain, policy: Verdict | None) -> Decisions:
        """Return the decision of the whole chain, memoised (base chains with their policy)."""
        memo = self._base if policy is not None else self._user
        key = (chain.table, chain.name)
        cached = memo.get(key)
        if cached is None:
            cached = memo[key] = self._fold(chain, policy)
        return cached

    def _scoped_fold(self, chain: Chain, policy: Verdict | None, scope: Scope) -> Decisions:
        name = (chain.table, chain.name)
        whole = (self._base if policy is not None else self._user).get(name)
        if whole is not None:  # folded already (e.g. for the rule analysis): exact everywhere
            return whole
        key = (chain.table, chain.name, policy is not None, scope)
        cached = self._scoped.get(key)
        if cached is not None:
            return cached
        only = self._index(chain).candidates(scope)
        work = self._work.get(name, 0) + len(only)
        size = len(chain.rules)
        if size >= MIN_INDEXED and (2 * len(only) > size or work > WORK_LIMIT * size):
            # Scopes do not save work on this chain (its rules match most boxes, or many boxes
            # came): the whole chain's decision, folded once, is exact on every box.
            cached = self._whole(chain, policy)
        else:
            self._work[name] = work
            cached = self._fold(chain, policy, scope, only)
        self._scoped[key] = cached
        return cached

    def _fold(
        self,
        chain: Chain,
        policy: Verdict | None,
        scope: Scope | None = None,
        only: list[int] | None = None,
    ) -> Decisions:
        """Fold the chain's rules; with a ``scope``, only the rules at the indexes ``only``
        (ascending, its candidates): exact on the scope's box (jumps use the same scope)."""
        bdd = self.compiler.space.bdd
        true, false = bdd.true, bdd.false
        policy_key = outcome_key(policy) if policy is not None else None
        # In a base chain every packet gets an outcome, so "drop" is left implicit: the packets
        # no other outcome holds. That halves the work of the common accept/drop chain.
        implicit = DROP if policy is not None else None
        decisions: Decisions = {}
        if policy_key is not None and policy_key != implicit:
            decisions[policy_key] = true
        # A scoped fold is never observed: the analysis must see every rule.
        observer = self.observer if only is None else None
        # Without an observer nothing needs a rule's match again, and a rule whose conditions
        # repeat those of an earlier rule that ends every packet it matches decides nothing.
        order: list[int] | range
        if only is None:
            order = range(len(chain.rules))
            dead = self._dead_rules(chain) if observer is None else frozenset()
        else:
            # A repeat's twin has the very same conditions, so it is a candidate too.
            order = only
            dead = _repeated(chain.rules, order)
        for index in reversed(order):
            rule = chain.rules[index]
            action = rule.action
            if action is None or index in dead:
                continue
            m = self.compiler.match(rule, keep=observer is not None)
            if observer is not None:
                observer(chain, index, rule, m, decisions)
            if m == false:
                continue
            new: Decisions = {}
            if isinstance(action, Jump):
                target = self.user(chain.table, action.chain, scope)
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

    def _index(self, chain: Chain) -> RuleIndex:
        key = (chain.table, chain.name)
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = RuleIndex(chain)
        return index

    def _dead_rules(self, chain: Chain) -> frozenset[int]:
        key = (chain.table, chain.name)
        dead = self._dead.get(key)
        if dead is None:
            dead = self._dead[key] = _repeated(chain.rules)
        return dead


def _repeated(rules: tuple[Rule, ...], indexes: Iterable[int] | None = None) -> frozenset[int]:
    """Return the indexes of rules no packet can reach: an earlier rule has the same conditions
    and ends every packet it matches (a verdict, RETURN, NAT or goto; not a jump, which may
    return).

    Conditions are compared by identity (parsers reuse one object per distinct condition), so a
    rule is skipped only when it certainly repeats one; a missed repeat costs time, not results.
    ``indexes`` (ascending) limits the scan to some rules: the candidates of a scope, which hold
    every twin of each of them, since twins have the very same conditions.
    """
    terminal: set[tuple[int, ...]] = set()
    out: set[int] = set()
    for index in range(len(rules)) if indexes is None else indexes:
        rule = rules[index]
        action = rule.action
        if action is None:
            continue
        key = tuple(map(id, rule.conditions))
        if key in terminal:
            out.add(index)
        elif not isinstance(action, Jump) or action.goto:
            terminal.add(key)
    return frozenset(out)


def _union(false: Node, nodes: Iterable[Node]) -> Node:
    result = false
    for node in nodes:
        result = result | node
    return result
