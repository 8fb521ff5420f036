"""jieba's POS tagger with its HMM decoding done faster, giving the same (word, tag) pairs.

jieba.posseg tags the runs of characters its dictionary does not cover with a Viterbi decoder over
(position, tag) states, in pure Python; that decoder was most of a build's ingest time. Two changes,
neither of which changes an answer:

- each step scores, for a state, only the previous states with a transition into it: the others
  score -inf (jieba's MIN_INF) and cannot win while any candidate has a finite score; when none
  has, the step is scored exactly as jieba does, all previous states and its tie-break included;
- a decoded run is kept (LRU, DECODED_RUNS runs): the same run of characters decodes the same way.

The sums are made in jieba's order, and the maximum taken over the same (score, state) pairs, so
the result is jieba's to the bit; tests/test_postagger.py compares them on the bundled corpus and
on generated text. install() swaps the decoder in for jieba.posseg (idempotent).
"""
import importlib
from functools import lru_cache

import jieba.posseg

jieba_viterbi = importlib.import_module("jieba.posseg.viterbi")  # the module (its name is shadowed by the function)

MIN_FLOAT, MIN_INF = jieba_viterbi.MIN_FLOAT, jieba_viterbi.MIN_INF
DECODED_RUNS = 65536
_incoming_of: dict[int, tuple[object, dict]] = {}


def _incoming(trans_p: dict) -> dict:
    """state -> the states with a transition into it (for this transition table)."""
    kept = _incoming_of.get(id(trans_p))
    if kept is None or kept[0] is not trans_p:
        incoming: dict = {}
        for y0, nexts in trans_p.items():
            for y in nexts:
                incoming.setdefault(y, []).append(y0)
        kept = _incoming_of[id(trans_p)] = (trans_p, incoming)
    return kept[1]


def viterbi(obs, states, start_p, trans_p, emit_p):
    """jieba.posseg.viterbi.viterbi's answer, (probability, route of (position, tag) states)."""
    if not (states is jieba.posseg.char_state_tab_P and start_p is jieba.posseg.start_P
            and trans_p is jieba.posseg.trans_P and emit_p is jieba.posseg.emit_P):
        return jieba_viterbi.viterbi(obs, states, start_p, trans_p, emit_p)  # another model: jieba's own
    prob, route = _decode(obs)
    return prob, list(route)


@lru_cache(maxsize=DECODED_RUNS)
def _decode(obs: str):
    prob, route = _viterbi(obs, jieba.posseg.char_state_tab_P, jieba.posseg.start_P, jieba.posseg.trans_P,
                           jieba.posseg.emit_P)
    return prob, tuple(route)


def _viterbi(obs, states, start_p, trans_p, emit_p):
    incoming = _incoming(trans_p)
    V = [{}]
    mem_path = [{}]
    all_states = trans_p.keys()
    for y in states.get(obs[0], all_states):
        V[0][y] = start_p[y] + emit_p[y].get(obs[0], MIN_FLOAT)
        mem_path[0][y] = ''
    for t in range(1, len(obs)):
        before, now, path = V[t - 1], {}, {}
        V.append(now)
        mem_path.append(path)
        prev_states = [x for x in mem_path[t - 1] if len(trans_p[x]) > 0]
        alive = set(prev_states)
        prev_states_expect_next = {y for x in prev_states for y in trans_p[x]}
        obs_states = set(states.get(obs[t], all_states)) & prev_states_expect_next
        if not obs_states:
            obs_states = prev_states_expect_next if prev_states_expect_next else all_states
        ob = obs[t]
        for y in obs_states:
            emit = emit_p[y].get(ob, MIN_FLOAT)
            into = incoming.get(y, ())
            best = None
            if len(into) < len(prev_states):
                for y0 in into:
                    if y0 in alive:
                        candidate = (before[y0] + trans_p[y0][y] + emit, y0)
                        if best is None or candidate > best:
                            best = candidate
            else:
                for y0 in prev_states:
                    p = trans_p[y0].get(y)
                    if p is not None:
                        candidate = (before[y0] + p + emit, y0)
                        if best is None or candidate > best:
                            best = candidate
            if best is None or best[0] == MIN_INF:  # no finite candidate: exactly as jieba scores it
                best = max((before[y0] + trans_p[y0].get(y, MIN_INF) + emit, y0) for y0 in prev_states)
            now[y], path[y] = best
    prob, state = max((V[-1][y], y) for y in mem_path[-1])
    route = [None] * len(obs)
    i = len(obs) - 1
    while i >= 0:
        route[i] = state
        state = mem_path[i][state]
        i -= 1
    return prob, route


def install() -> None:
    """jieba.posseg decodes with viterbi() above from now on, in this process."""
    jieba.posseg.viterbi = viterbi
