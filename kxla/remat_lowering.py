"""Remat regions in the lowering: runs of marked nodes evaluated under one ``jax.checkpoint``.

``kxla.remat`` / ``RematScope`` mark nodes with ``node.meta["remat"]``: the ids
of the regions holding the node, outermost first (``kxla.remat_scope``). The
``Evaluator`` plan is a list of ``(node, input ids, result ids)`` steps;
``group_steps`` replaces each maximal run of consecutive steps sharing a
region id with one ``RematGroup`` step ``(group, group.ins, group.outs)``,
nesting inner regions inside it. Its inputs are the values the run reads but
does not compute; its outputs the values it computes that are read after it
(or are graph outputs / state updates). A region whose nodes a pass has
separated becomes several groups (the values are the same).
"""
from __future__ import annotations


class RematGroup:
    """Consecutive plan steps evaluated as ``jax.checkpoint(body)(inputs, rng)``."""

    def __init__(self, region: int, steps: list, ins: list, outs: list):
        self.region, self.steps, self.ins, self.outs = region, steps, ins, outs

    def run(self, evaluator, inputs: list, rng, training: bool) -> list:
        """The group's outputs, recomputed in the backward pass rather than stored."""
        import jax

        def body(inputs, rng):
            env = dict(zip(self.ins, inputs))
            for node, ins, outs in self.steps:
                env.update(zip(outs, evaluator.eval_node(node, [env[i] for i in ins], rng=rng,
                                                         training=training)))
            return [env[o] for o in self.outs]

        return jax.checkpoint(body)(list(inputs), rng)

    def __repr__(self):
        return f"RematGroup(region={self.region}, steps={len(self.steps)})"


def group_steps(plan: list, roots: set) -> list:
    """``plan`` with its remat regions grouped (the plan itself when no node is marked).

    Arguments:
      plan: the Evaluator's ``(node, input ids, result ids)`` steps in program order.
      roots: ids of the values read outside the nodes (graph outputs, state updates).
    """
    if not any(n.meta.get("remat") for n, _, _ in plan):
        return plan
    last_read: dict = {}
    for pos, (_, ins, _) in enumerate(plan):
        for i in ins:
            last_read[i] = pos
    return _group([(pos, step) for pos, step in enumerate(plan)], 0, last_read, roots)


def _group(indexed: list, depth: int, last_read: dict, roots: set) -> list:
    out, k = [], 0
    while k < len(indexed):
        path = tuple(indexed[k][1][0].meta.get("remat", ()))
        if len(path) <= depth:
            out.append(indexed[k][1])
            k += 1
            continue
        j = k
        while j < len(indexed) and _region_at(indexed[j][1][0], depth) == path[depth]:
            j += 1
        run = indexed[k:j]
        out.append(_make_group(path[depth], run, depth, last_read, roots))
        k = j
    return out


def _region_at(node, depth: int):
    path = node.meta.get("remat", ())
    return path[depth] if len(path) > depth else None


def _make_group(region: int, run: list, depth: int, last_read: dict, roots: set) -> tuple:
    end = run[-1][0]
    produced, seen, ins, outs = set(), set(), [], []
    for _, (_, step_ins, step_outs) in run:
        for i in step_ins:
            if i not in produced and i not in seen:
                seen.add(i)
                ins.append(i)
        produced.update(step_outs)
    for _, (_, _, step_outs) in run:
        outs.extend(o for o in step_outs if o in roots or last_read.get(o, -1) > end)
    group = RematGroup(region, _group(run, depth + 1, last_read, roots), ins, outs)
    return group, ins, outs
