"""Rule-level findings: shadowed, redundant and unmatchable rules, and chains never entered.

On every base chain of a device, for every interface the device has, under the stated
assumptions:

- a rule is **shadowed** when no packet that reaches it matches it (earlier rules decide all of
  them) although some packet could match it;
- a rule is **redundant** when packets do reach it but removing it would change no decision:
  the later rules (or the chain's policy) decide the same for every packet it matches;
- a rule is **unmatchable** when it names interfaces the device does not have, or its own
  conditions contradict each other. Rules that match only packets of existing connections, or
  only IPv6, are expected under the assumptions and are not reported.

Packets reaching a rule are computed top-down from the base chains (through jumps); decisions of
the rules after it come from the same bottom-up fold the engine uses, so findings and proof agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from isms.segments._bdd import Node
from isms.segments.compile import DROP, Decisions, outcome_key
from isms.segments.reach import DeviceEngine
from isms.segments.rules import Chain, Const, Hook, InterfaceMatch, Jump, Rule, Ruleset, Verdict

__all__ = ["Finding", "RuleAnalysis"]

MAX_BY = 5
MAX_SCAN = 50  # earlier rules examined for more "decided earlier by" lines


@dataclass(frozen=True)
class Finding:
    """A finding on one rule (or chain), before it becomes a report value."""

    kind: str
    subject: Rule | Chain
    by: tuple[Rule | Chain, ...]
    reason: str


@dataclass
class RuleAnalysis:
    """Collect findings for one device.

    Call :meth:`attach` before any chain of the device is folded, :meth:`prepare` after the
    folds, then :meth:`findings`.
    """

    engine: DeviceEngine
    state_domain: Node
    hits: dict[int, Node] = field(default_factory=dict)
    entered: set[tuple[str, str]] = field(default_factory=set)
    targets: dict[int, Node] = field(default_factory=dict)
    logs: dict[tuple[str, str], list[tuple[int, Node]]] = field(default_factory=dict)
    pending: dict[tuple[str, str], Node] = field(default_factory=dict)
    decided: dict[tuple[str, str], Node] = field(default_factory=dict)

    def _entry(self, hook: Hook) -> Node:
        space = self.engine.space
        indices = [i.index for i in self.engine.info.ifaces.values()]
        some_iif = space.false
        some_oif = space.false
        for index in indices:
            some_iif = some_iif | space.iface("in", index)
            some_oif = some_oif | space.iface("out", index)
        none_iif, none_oif = space.iface("in", 0), space.iface("out", 0)
        contexts = {
            Hook.PREROUTING: some_iif & none_oif,
            Hook.INPUT: some_iif & none_oif,
            Hook.FORWARD: some_iif & some_oif,
            Hook.OUTPUT: none_iif & some_oif,
            Hook.POSTROUTING: (some_iif | none_iif) & some_oif,
        }
        return contexts[hook] & self.state_domain

    def any_context(self) -> Node:
        """Return every interface pair the device can see, under the assumptions."""
        space = self.engine.space
        result = space.false
        for hook in Hook:
            result = result | self._entry(hook)
        return result

    def attach(self) -> None:
        """Record, while the engine folds each chain, what every rule must imply to be redundant."""
        if self.engine.folder is not None:
            self.engine.folder.observer = self._observe

    def _observe(self, chain: Chain, index: int, rule: Rule, m: Node, after: Decisions) -> None:
        action = rule.action
        if isinstance(action, Jump) or action is None:
            return
        space = self.engine.space
        if action is Verdict.RETURN:
            key = outcome_key(chain.policy) if chain.policy is not None else None
        else:
            key = outcome_key(action)
        if key is None or (key == DROP and chain.policy is not None):
            # A user chain's return, or a base chain's (implicit) drop: what no outcome holds.
            decided = space.false
            for node in after.values():
                decided = decided | node
            self.targets[id(rule)] = ~decided
        else:
            self.targets[id(rule)] = after.get(key, space.false)

    def prepare(self) -> None:
        """Compute, top-down from every base chain, the packets that reach each rule."""
        ruleset = self.engine.info.ruleset
        folder = self.engine.folder
        if ruleset is None or folder is None:
            return
        for stage in ruleset.stages:
            folder.stage(stage)
            self._walk(ruleset.chain(stage.table, stage.chain), self._entry(stage.hook))
        # User chains once each, with everything their callers send them (callers first).
        for key in self._callees_first(ruleset)[::-1]:
            entry = self.pending.pop(key, None)
            if entry is not None:
                self._walk(ruleset.chain(*key), entry)

    def _callees_first(self, ruleset: Ruleset) -> list[tuple[str, str]]:
        order: list[tuple[str, str]] = []
        seen: set[tuple[str, str]] = set()
        for key in ruleset.chains:
            if key not in seen:
                _postorder(key, ruleset, seen, order)
        return order

    def _walk(self, chain: Chain, entry: Node) -> None:
        space = self.engine.space
        folder = self.engine.folder
        assert folder is not None
        self.entered.add((chain.table, chain.name))
        remaining = entry
        log: list[tuple[int, Node]] = []
        for index, rule in enumerate(chain.rules):
            action = rule.action
            if action is None:
                continue
            log.append((index, remaining))
            m = self.engine.compiler.match(rule)
            hit = remaining & m
            key = id(rule)
            previous = self.hits.get(key)
            self.hits[key] = hit if previous is None else previous | hit
            if hit == space.false:
                continue
            remaining = remaining & ~m
            if isinstance(action, Jump):
                target = (chain.table, action.chain)
                self.pending[target] = self.pending.get(target, space.false) | hit
                if not action.goto:
                    remaining = remaining | (hit & ~self._decided(target))
        log.append((len(chain.rules), remaining))
        self.logs[(chain.table, chain.name)] = log

    def _decided(self, key: tuple[str, str]) -> Node:
        """Return the packets a user chain decides (the rest it returns)."""
        cached = self.decided.get(key)
        if cached is None:
            folder = self.engine.folder
            assert folder is not None
            cached = self.engine.space.false
            for node in folder.user(*key).values():
                cached = cached | node
            self.decided[key] = cached
        return cached

    def findings(self) -> list[Finding]:
        """Return the findings (after :meth:`prepare`)."""
        ruleset = self.engine.info.ruleset
        if ruleset is None:
            return []
        space = self.engine.space
        context = self.any_context()
        out: list[Finding] = []
        for key, chain in ruleset.chains.items():
            if key not in self.entered:
                if chain.rules:
                    out.append(
                        Finding("unused_chain", chain, (), "no packet ever enters this chain")
                    )
                continue
            for index, rule in enumerate(chain.rules):
                if rule.action is None:
                    continue
                m = self.engine.compiler.match(rule)
                hit = self.hits.get(id(rule), space.false)
                if m & context == space.false:
                    reason = self._unmatchable_reason(rule, m)
                    if reason:
                        out.append(Finding("unmatchable", rule, (), reason))
                    continue
                if hit == space.false:
                    by = self._blocking(key, index, m & context)
                    reason = (
                        "earlier rules decide every packet it matches"
                        if by
                        else "the chain is entered only for packets it does not match"
                    )
                    out.append(Finding("shadowed", rule, by, reason))
                elif id(rule) in self.targets and hit <= self.targets[id(rule)]:
                    out.append(
                        Finding(
                            "redundant", rule, (), "the later rules or the policy decide the same"
                        )
                    )
        return out

    def _blocking(self, key: tuple[str, str], index: int, matched: Node) -> tuple[Rule, ...]:
        """Return the earlier rule that completes the cover of a shadowed rule, and up to
        MAX_BY - 1 other earlier rules that overlap it, in file order."""
        chain = self.engine.info.ruleset.chain(*key)  # type: ignore[union-attr]
        log = [entry for entry in self.logs.get(key, []) if entry[0] <= index]
        # remaining only shrinks along the chain: binary search the first point where the rule's
        # packets are all gone ("matched <= ~remaining" builds no new node).
        lo, hi = 0, len(log) - 1
        if not log or matched <= ~log[0][1]:
            return ()
        while lo < hi:
            mid = (lo + hi) // 2
            if matched <= ~log[mid][1]:
                hi = mid
            else:
                lo = mid + 1
        found = [log[lo - 1][0]]
        for earlier_index, _ in reversed(log[max(0, lo - 1 - MAX_SCAN) : lo - 1]):
            earlier = chain.rules[earlier_index]
            if not matched <= ~self.engine.compiler.match(earlier):
                found.append(earlier_index)
                if len(found) == MAX_BY:
                    break
        return tuple(chain.rules[i] for i in sorted(found))

    def _unmatchable_reason(self, rule: Rule, m: Node) -> str:
        space = self.engine.space
        names = set(self.engine.info.ifaces)
        missing = sorted(
            {
                n
                for c in rule.conditions
                if isinstance(c, InterfaceMatch) and not c.negated
                for n in c.names
                if not any(InterfaceMatch(c.direction, (n,)).holds(real) for real in names)
            }
        )
        if missing:
            return "names interfaces the device does not have: " + ", ".join(missing)
        if any(isinstance(c, Const) and not c.value for c in rule.conditions):
            return ""
        if m & self.any_context_without_state() != space.false:
            return ""
        return "its conditions contradict each other"

    def any_context_without_state(self) -> Node:
        """Return every interface pair, in any connection state."""
        space = self.engine.space
        result = space.false
        for state in ("new", "established", "related", "invalid", "untracked"):
            result = result | space.state(state)
        saved = self.state_domain
        self.state_domain = result
        try:
            return self.any_context()
        finally:
            self.state_domain = saved


def _postorder(
    key: tuple[str, str], ruleset: Ruleset, seen: set[tuple[str, str]], order: list[tuple[str, str]]
) -> None:
    """Append the chains ``key`` jumps to (depth first), then ``key`` itself.

    Module-level, not a recursive closure: that would be a reference cycle holding the rule set.
    """
    seen.add(key)
    for rule in ruleset.chains[key].rules:
        if isinstance(rule.action, Jump):
            target = (key[0], rule.action.chain)
            if target not in seen:
                _postorder(target, ruleset, seen, order)
    order.append(key)
